/**
 * The HTTP JSON contract between the server and the web client (the WebSocket one is
 * `protocol.ts`): host records from `GET /api/hosts`, admission verdicts from
 * `GET /api/admit`, and the shapes both sides validate. Environment-neutral: no DOM, no Node.
 */

/** Host ids as the config allows them; anything else is not a host (nor a deep link). */
export const HOST_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function isHostId(value: string): boolean {
  return HOST_ID_PATTERN.test(value);
}

/** How a host is reached, as the picker may show it. */
export const HOST_PROTOCOLS = ['telnet', 'telnets', 'tcp', 'tls', 'ssh', 'builtin'] as const;
export type HostProtocol = (typeof HOST_PROTOCOLS)[number];

/** Raw keystrokes (shells, BBSes) or an input line (MUDs, line protocols). */
export const INPUT_MODES = ['line', 'raw'] as const;
export type InputMode = (typeof INPUT_MODES)[number];

/** One entry of `GET /api/hosts`: never the backend address unless the host shows it. */
export interface PublicHost {
  id: string;
  name: string;
  description?: string;
  tags: string[];
  protocol: HostProtocol;
  input: InputMode;
  address?: string;
  mssp?: { name?: string; players?: number; uptime?: number };
}

/** `GET /api/hosts`. */
export interface HostsResponse {
  hosts: PublicHost[];
  user?: string;
}

/** Why an upgrade would be refused, in the admission list's order (`GET /api/admit?host=ID`). */
export const ADMIT_VERDICTS = [
  'ok',
  'draining',
  'locked-out',
  'rate-limited',
  'auth-required',
  'unknown-host',
  'capacity',
  'too-many',
] as const;
export type AdmitVerdict = (typeof ADMIT_VERDICTS)[number];

export function isAdmitVerdict(value: string): value is AdmitVerdict {
  return (ADMIT_VERDICTS as readonly string[]).includes(value);
}

/** `GET /api/admit`: the verdict, and for temporary ones the seconds to wait. */
export interface AdmitAnswer {
  verdict: AdmitVerdict;
  retryAfter?: number;
}

/** One live session in `GET /api/sessions` (the admin view). */
export interface AdminSession {
  id: string;
  user: string;
  /** The browser's address (the forwarded one behind a trusted proxy). */
  clientIp: string;
  host: string;
  /** When the session opened, as an ISO 8601 time. */
  since: string;
  /** Bytes from the backend to the browser. */
  bytesDown: number;
  /** Bytes from the browser to the backend. */
  bytesUp: number;
  /** Whether the browser is gone and the backend is held for a resume. */
  detached: boolean;
}

/** `GET /api/sessions`. */
export interface AdminSessionsResponse {
  sessions: AdminSession[];
}
