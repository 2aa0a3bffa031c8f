/**
 * A codec sits between the session (which owns sockets) and the backend's byte stream.
 * Codecs are sans-IO: pure, synchronous, no sockets, no timers. `raw` is the identity;
 * `telnet` is the telnet engine in server/telnet/.
 */

export type CodecEvent =
  /** Bytes for the browser's terminal (always UTF-8 after charset transcoding). */
  | { kind: 'data'; bytes: Uint8Array }
  /** Bytes that must be written to the backend (negotiation replies, NAWS, ...). */
  | { kind: 'send'; bytes: Uint8Array }
  /** The backend took over echo (local=false: hide/mask local input) or gave it back. */
  | { kind: 'echo'; local: boolean }
  /** Telnet EOR or GA: the end of a prompt. */
  | { kind: 'prompt' }
  | { kind: 'gmcp'; package: string; data: unknown }
  | { kind: 'msdp'; data: Record<string, unknown> }
  /** MXP (telnet option 91) was agreed or dropped: the browser parses MXP tags while on. */
  | { kind: 'mxp'; enabled: boolean }
  | { kind: 'mssp'; vars: Record<string, string[]> }
  /** The backend stream cannot be decoded (corrupt MCCP, ...): the session must end. */
  | { kind: 'fatal'; message: string }
  /** Something odd but survivable, for the log. */
  | { kind: 'warning'; message: string };

/**
 * What Enter becomes on the wire. `auto` follows the negotiated modes: telnet sends the
 * RFC 854 end of line (CR LF), or the terminal's own CR once we transmit in BINARY (RFC 856:
 * no NVT translation, so a CR LF would be two line ends for a pty); raw TCP sends CR LF.
 */
export type Newline = 'auto' | 'crlf' | 'cr-nul' | 'lf' | 'cr';

export interface CodecOptions {
  /** Backend character set: 'utf-8' (default), 'cp437', 'latin1', or any iconv-lite name. */
  encoding: string;
  /** What Enter (a lone CR from the terminal) becomes on the wire; `auto` by default. */
  newline: Newline;
  /**
   * The terminal size at start; NAWS sends it when the backend asks. 0 × 0 = not known yet
   * (the browser has not said): NAWS then waits for the first `resize`, so the host is told
   * one size, not a default followed by the real one.
   */
  cols: number;
  rows: number;
  /** Terminal type answered to TTYPE. */
  terminalType: string;
  /** Whether the client runs a screen reader (an MTTS bit). */
  screenReader: boolean;
  /**
   * Events one `fromBackend`/`more` call may produce before the codec stops and keeps the
   * rest for `more` (a session sets it so one flood cannot hold the event loop). Default: no limit.
   */
  maxEventsPerCall?: number;
  /** Set on `mnes: true` hosts: answer NEW-ENVIRON with the MNES variables (issue 15). */
  mnes?: { ipAddress: string } | undefined;
  /** The backend connection is TLS (`telnets://`): the MTTS "SSL" bit. */
  tls?: boolean | undefined;
}

/** Static facts about a kind of codec, known before any backend is connected. */
export interface CodecProfile {
  /** Announced to the client in `hello` (e.g. `telnet`, `gmcp`, `echo`, `prompt`). */
  readonly features: readonly string[];
  /** Terminal type the codec answers when the backend asks (telnet TTYPE). */
  readonly terminalType: string;
}

export interface Codec {
  /** Events to act on as soon as the backend is connected (e.g. our initial offers). */
  start(): CodecEvent[];
  /**
   * Backend bytes in → events out. Must cope with any chunk boundary. A codec may stop early
   * to bound its work per call (then `backlog` is true and `more` goes on); the caller stops
   * reading the backend meanwhile and calls `more` on a later turn of the event loop.
   */
  fromBackend(chunk: Uint8Array): CodecEvent[];
  /** True while input from earlier calls is waiting for `more`. */
  readonly backlog?: boolean;
  /** Goes on with the backlog (another bounded step). */
  more?(): CodecEvent[];
  /** Terminal bytes (UTF-8 from xterm.js) → bytes for the backend. */
  fromClient(bytes: Uint8Array): Uint8Array;
  /** The browser's terminal changed size. */
  resize(cols: number, rows: number): CodecEvent[];
  /** The client sends GMCP to the backend; empty when GMCP is not enabled. */
  gmcp(pkg: string, data: unknown): CodecEvent[];
  /** The client sends MSDP (LIST, REPORT, …); codecs without MUD protocols leave it out. */
  msdp?(data: Record<string, unknown>): CodecEvent[];
}
