/**
 * The contracts around client/connection.ts: the socket, the terminal and the clock it is
 * given, the states it reports and how it tells a session ended. DOM-free.
 */
import { type AdmitVerdict, isAdmitVerdict } from '../shared/api.ts';
import type { HelloInfo, ServerMessage } from '../shared/protocol.ts';

/** The few things Connection needs from a WebSocket. */
export interface Transport {
  send(data: string | Uint8Array<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
}

export interface TransportHandlers {
  open(): void;
  text(data: string): void;
  binary(data: Uint8Array): void;
  close(code: number, reason: string): void;
}

export type TransportFactory = (
  url: string,
  protocols: readonly string[],
  handlers: TransportHandlers,
) => Transport;

/** Where terminal bytes go; `done` fires once they are parsed (xterm's write callback). */
export interface TerminalSink {
  write(bytes: Uint8Array, done: () => void): void;
}

export interface Clock {
  now(): number;
  /** Runs fn after ms; returns a function that cancels it. */
  schedule(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule: (fn, ms) => {
    const id = setTimeout(fn, ms);
    return () => clearTimeout(id);
  },
};

/**
 * Why a handshake was refused (browsers only report 1006), from `GET /api/admit`:
 * the server's verdicts, plus `unreachable` (no answer) and `refused` (no known reason).
 */
export type ProbeResult = AdmitVerdict | 'refused' | 'unreachable';

export function isProbeResult(v: string): v is ProbeResult {
  return isAdmitVerdict(v) || v === 'refused' || v === 'unreachable';
}

export type ConnectionState =
  /** Not started. */
  | 'idle'
  /** WebSocket handshake in progress. */
  | 'opening'
  /** Socket open; the server is connecting to the host. */
  | 'dialing'
  | 'connected'
  /** Dropped; a reconnect is scheduled. */
  | 'waiting'
  /** Ended; only the user starts it again. */
  | 'closed';

/** How a session ended, for the person at the terminal. */
export interface Ended {
  code: number;
  /** The server's close reason (untrusted text: render with textContent). */
  reason: string;
  sentence: string;
  /** The user ended it (Disconnect), not the server or the network. */
  deliberate: boolean;
  /** Milliseconds until the automatic reconnect, or undefined when none is scheduled. */
  retryInMs: number | undefined;
  /** The drop was worth retrying but the attempts ran out. */
  gaveUp: boolean;
  attempt: number;
  /** The server holds the session until then (clock ms): the retry resumes it. */
  heldUntil?: number;
}

export interface ConnectionHooks {
  state?(state: ConnectionState): void;
  hello?(hello: HelloInfo): void;
  echo?(local: boolean): void;
  prompt?(): void;
  gmcp?(pkg: string, data: unknown): void;
  msdp?(data: Record<string, unknown>): void;
  /** The host agreed to MXP (telnet option 91) or dropped it. */
  mxp?(enabled: boolean): void;
  latency?(ms: number): void;
  ended?(ended: Ended): void;
  /** A resume could not replay everything: output from the drop was lost. */
  gap?(): void;
  serverError?(code: string, message: string): void;
  /** Bytes moved (either way): for a throttled byte counter. */
  traffic?(): void;
  /** Sharing and recording news: the watch link, the viewer count, the owner's size, recording stopped. */
  viewers?(msg: ViewersMessage): void;
}

export type ViewersMessage = Extract<
  ServerMessage,
  { type: 'shared' | 'viewers' | 'size' | 'recording' }
>;

export interface ConnectionOptions {
  url: string;
  hostId: string;
  transport: TransportFactory;
  sink: TerminalSink;
  probe: (hostId: string) => Promise<ProbeResult>;
  hooks?: ConnectionHooks;
  clock?: Clock;
  random?: () => number;
  /** Acknowledge at least every this many processed bytes (and whenever writes go idle). */
  ackEveryBytes?: number;
  pingIntervalMs?: number;
}

export const Sentences = {
  unknownHost: 'There is no host with that name on this server.',
  signIn: 'This server needs you to sign in before opening a session.',
  lockedOut: 'Too many failed sign-in attempts from your address. Wait a few minutes.',
  rateLimited: 'Too many new sessions from your address just now. Trying again shortly.',
  capacity: 'The server is full right now. Trying again shortly.',
  tooMany: 'You already have as many sessions open as this server allows. Close one and reconnect.',
  draining: 'The server is restarting. Reconnecting shortly.',
  refused:
    'The server would not open a session: it may be busy, or this page is not allowed to connect.',
  unreachable: 'Cannot reach the Porthole server. Check your connection.',
  stalled: 'The server stopped answering.',
  deliberate: 'You disconnected.',
} as const;
