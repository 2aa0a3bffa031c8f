/**
 * The wire protocol between the Porthole client and server. Both sides import this file;
 * neither writes a message literal of its own.
 *
 * Binary frames carry raw terminal bytes in both directions, never wrapped. Text frames
 * carry one JSON control message each. Validation is hand-written rather than zod: this
 * module ships in the browser bundle, the schemas are tiny, and decode must never throw.
 */
import type { HostProtocol } from './api.ts';

export { CloseCode, clampReason, describeClose, MAX_CLOSE_REASON_BYTES } from './close-codes.ts';

/** Our client's subprotocol: binary = bytes, text = control messages. */
export const SUBPROTOCOL = 'porthole.v1';
/** websockify's convention: a pure byte bridge, nothing but binary frames. */
export const BINARY_SUBPROTOCOL = 'binary';
export const SUBPROTOCOLS = [SUBPROTOCOL, BINARY_SUBPROTOCOL] as const;
export type Subprotocol = (typeof SUBPROTOCOLS)[number];

/** The WebSocket endpoint path; the host id travels as `?host=ID`. */
export const WS_PATH = '/ws';

export const Limits = {
  /** Largest text (control) frame either side accepts. */
  maxControlBytes: 64 * 1024,
  /** Terminal size bounds (SECURITY.md D8). */
  minCols: 1,
  maxCols: 500,
  minRows: 1,
  maxRows: 200,
  /** GMCP package names: `Char.Vitals`, `Core.Hello`, ... */
  maxPackageChars: 128,
  /** Deepest JSON nesting accepted in GMCP data either way (deeper breaks JSON.stringify). */
  maxJsonDepth: 64,
} as const;

/**
 * True when JSON text nests arrays/objects deeper than `max`. A flat scan (no recursion,
 * no allocation), run before JSON.parse so a hostile peer cannot make the server recurse.
 */
export function jsonTooDeep(text: string, max: number = Limits.maxJsonDepth): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export type SessionState = 'connecting' | 'connected' | 'closed';

export type ClientMessage =
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'ack'; bytes: number }
  | { type: 'ping'; t: number }
  | { type: 'gmcp'; package: string; data?: unknown }
  /** MSDP for the host, e.g. `{ LIST: 'REPORTABLE_VARIABLES' }` or `{ REPORT: ['HEALTH'] }`. */
  | { type: 'msdp'; data: Record<string, unknown> }
  /** The owner asks for a read-only watch link valid for `ttl` seconds (cut to sharing.maxTtl). */
  | { type: 'share'; ttl: number }
  /** The owner revokes the watch link: every spectator is closed (4010). */
  | { type: 'unshare' }
  /** A deliberate end (the Disconnect button): the backend is closed at once, not held. */
  | { type: 'end' };

/** Who is at the other end: the session's owner, or a read-only spectator of it. */
export type SessionRole = 'owner' | 'spectator';

export interface HelloInfo {
  session: string;
  host: {
    id: string;
    name: string;
    protocol: HostProtocol;
    input: 'line' | 'raw';
    /** Extra patterns for lines kept out of the input history (client-schema.ts). */
    noHistory?: string[];
    /** After the host drops the connection mid-session: offer Reconnect, or do it. */
    reconnect?: 'ask' | 'auto';
  };
  features: string[];
  /** Backend→browser flow-control window: the server stops reading once this many bytes are unacknowledged. */
  windowBytes: number;
  /** Absent = owner. A spectator gets no input and may not send any. */
  role?: SessionRole;
  /** The owner's terminal size (spectators draw at it; `size` messages follow changes). */
  size?: { cols: number; rows: number };
  /** This session is being recorded (the client says so before the first byte). */
  recording?: boolean;
  /**
   * Resume: after a drop the backend is held for `holdSeconds`; reconnect to
   * `/ws?host=ID&resume=TOKEN&from=N` (N: terminal bytes received since the session began).
   */
  resume?: { token: string; holdSeconds: number };
  /** Set on a resumed session: replay starts at byte `from`; `gap`: older output was lost. */
  resumed?: { from: number; gap?: true };
  /** The owner may ask for a watch link (the host has `share: true`). */
  share?: boolean;
}

export type ServerMessage =
  | ({ type: 'hello' } & HelloInfo)
  | { type: 'status'; state: SessionState; detail?: string }
  | { type: 'echo'; local: boolean }
  | { type: 'prompt' }
  | { type: 'gmcp'; package: string; data?: unknown }
  | { type: 'msdp'; data: Record<string, unknown> }
  /** The host agreed to MXP (telnet option 91): its output carries MXP tags from now on. */
  | { type: 'mxp'; enabled: boolean }
  | { type: 'pong'; t: number }
  | { type: 'error'; code: string; message: string }
  /** The owner's watch link (a path under the server, or absolute with publicUrl) and its expiry (ms). */
  | { type: 'shared'; url: string; expiresAt: number }
  /** To the owner: how many spectators are watching now. */
  | { type: 'viewers'; count: number }
  /** To spectators: the owner's terminal size changed. */
  | { type: 'size'; cols: number; rows: number }
  /** Recording stopped (size cap, disk full); the session goes on. */
  | { type: 'recording'; active: boolean; detail?: string };

/** A peer sent something that is not a valid message. Returned, never thrown. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export function encode(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isCount = (v: unknown): v is number => isInt(v) && v >= 0;
const isPackage = (v: unknown): v is string =>
  typeof v === 'string' &&
  v.length > 0 &&
  v.length <= Limits.maxPackageChars &&
  /^[A-Za-z0-9_.-]+$/.test(v);

function textTooBig(text: string): boolean {
  // A UTF-16 length over the cap may still fit in bytes only if it is all ASCII; the
  // worst case is 3 bytes per code unit, so check the cheap bound first.
  if (text.length * 3 <= Limits.maxControlBytes) return false;
  return new TextEncoder().encode(text).length > Limits.maxControlBytes;
}

/** Decodes and validates a client→server control frame. */
export function decodeClient(text: string): ClientMessage | ProtocolError {
  if (textTooBig(text)) return new ProtocolError('control message too large');
  if (jsonTooDeep(text, Limits.maxJsonDepth + 1)) {
    return new ProtocolError('control message nested too deeply');
  }
  const v = parseJson(text);
  if (!isRecord(v)) return new ProtocolError('control message is not a JSON object');
  switch (v.type) {
    case 'resize':
      // Out-of-range sizes are clamped, not refused: a browser zoomed far out is not an attack.
      if (isInt(v.cols) && isInt(v.rows)) {
        return { type: 'resize', cols: clampCols(v.cols), rows: clampRows(v.rows) };
      }
      return new ProtocolError('resize needs integer cols and rows');
    case 'ack':
      if (isCount(v.bytes)) return { type: 'ack', bytes: v.bytes };
      return new ProtocolError('ack needs a non-negative integer byte count');
    case 'ping':
      if (typeof v.t === 'number' && Number.isFinite(v.t)) return { type: 'ping', t: v.t };
      return new ProtocolError('ping needs a finite number t');
    case 'gmcp':
      if (isPackage(v.package)) {
        return 'data' in v
          ? { type: 'gmcp', package: v.package, data: v.data }
          : { type: 'gmcp', package: v.package };
      }
      return new ProtocolError('gmcp needs a package name of letters, digits, dots');
    case 'msdp':
      if (isRecord(v.data)) return { type: 'msdp', data: v.data };
      return new ProtocolError('msdp needs a data object');
    case 'share':
      if (isCount(v.ttl)) return { type: 'share', ttl: v.ttl };
      return new ProtocolError('share needs a non-negative integer ttl in seconds');
    case 'unshare':
      return { type: 'unshare' };
    case 'end':
      return { type: 'end' };
    default:
      return new ProtocolError(
        `unknown control message type ${JSON.stringify(v.type)?.slice(0, 40)}`,
      );
  }
}

const STATES: readonly SessionState[] = ['connecting', 'connected', 'closed'];

/** Decodes and validates a server→client control frame. */
export function decodeServer(text: string): ServerMessage | ProtocolError {
  if (textTooBig(text)) return new ProtocolError('control message too large');
  const v = parseJson(text);
  if (!isRecord(v)) return new ProtocolError('control message is not a JSON object');
  switch (v.type) {
    case 'hello':
      if (
        typeof v.session === 'string' &&
        isRecord(v.host) &&
        Array.isArray(v.features) &&
        isCount(v.windowBytes)
      ) {
        return v as unknown as ServerMessage;
      }
      return new ProtocolError('malformed hello');
    case 'status':
      if (STATES.includes(v.state as SessionState)) {
        return typeof v.detail === 'string'
          ? { type: 'status', state: v.state as SessionState, detail: v.detail }
          : { type: 'status', state: v.state as SessionState };
      }
      return new ProtocolError('malformed status');
    case 'echo':
      if (typeof v.local === 'boolean') return { type: 'echo', local: v.local };
      return new ProtocolError('malformed echo');
    case 'prompt':
      return { type: 'prompt' };
    case 'gmcp':
      if (isPackage(v.package)) return { type: 'gmcp', package: v.package, data: v.data };
      return new ProtocolError('malformed gmcp');
    case 'msdp':
      if (isRecord(v.data)) return { type: 'msdp', data: v.data };
      return new ProtocolError('malformed msdp');
    case 'mxp':
      if (typeof v.enabled === 'boolean') return { type: 'mxp', enabled: v.enabled };
      return new ProtocolError('malformed mxp');
    case 'pong':
      if (typeof v.t === 'number') return { type: 'pong', t: v.t };
      return new ProtocolError('malformed pong');
    case 'error':
      if (typeof v.code === 'string' && typeof v.message === 'string') {
        return { type: 'error', code: v.code, message: v.message };
      }
      return new ProtocolError('malformed error');
    default:
      return decodeServerViewers(v);
  }
}

/** The sharing and recording messages (kept apart so decodeServer stays short). */
function decodeServerViewers(v: Record<string, unknown>): ServerMessage | ProtocolError {
  switch (v.type) {
    case 'shared':
      if (typeof v.url === 'string' && isCount(v.expiresAt))
        return { type: 'shared', url: v.url, expiresAt: v.expiresAt };
      return new ProtocolError('malformed shared');
    case 'viewers':
      if (isCount(v.count)) return { type: 'viewers', count: v.count };
      return new ProtocolError('malformed viewers');
    case 'size':
      if (isCount(v.cols) && isCount(v.rows)) return { type: 'size', cols: v.cols, rows: v.rows };
      return new ProtocolError('malformed size');
    case 'recording':
      if (typeof v.active !== 'boolean') return new ProtocolError('malformed recording');
      return typeof v.detail === 'string'
        ? { type: 'recording', active: v.active, detail: v.detail }
        : { type: 'recording', active: v.active };
    default:
      return new ProtocolError('unknown control message type');
  }
}

export function clampCols(cols: number): number {
  return Math.min(Limits.maxCols, Math.max(Limits.minCols, Math.trunc(cols)));
}

export function clampRows(rows: number): number {
  return Math.min(Limits.maxRows, Math.max(Limits.minRows, Math.trunc(rows)));
}

/** Picks the subprotocol the server speaks from what the client offered (RFC 6455 §4.2.2). */
export function chooseSubprotocol(offered: ReadonlySet<string>): Subprotocol | false {
  if (offered.has(SUBPROTOCOL)) return SUBPROTOCOL;
  if (offered.has(BINARY_SUBPROTOCOL)) return BINARY_SUBPROTOCOL;
  return offered.size === 0 ? BINARY_SUBPROTOCOL : false;
}
