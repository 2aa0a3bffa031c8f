/** What a session is built from, and what may hook into it (session.ts). */
import type { WebSocket } from 'ws';
import type {
  ClientMessage,
  HelloInfo,
  ServerMessage,
  Subprotocol,
} from '../../shared/protocol.ts';
import type { Codec } from '../codec/codec.ts';
import type { Logger } from '../common/log.ts';
import type { LimitsConfig } from '../config/config.ts';
import type { BackendStream } from './backend-stream.ts';

/** `S` is the Session class (a type parameter, so this file does not import session.ts). */
export interface SessionOptionsOf<S> {
  id: string;
  ws: WebSocket;
  mode: Subprotocol;
  clientIp: string;
  /** The authenticated user ('anonymous' without auth) and when their credential expires. */
  user: string;
  expiresAt: number | undefined;
  hello: Omit<HelloInfo, 'session' | 'windowBytes'>;
  limits: LimitsConfig;
  /** Per-host overrides of the idle and lifetime limits (0 = off). */
  idleTimeoutMs: number;
  maxSessionMs: number;
  log: Logger;
  /** Connects to the backend (a TCP or TLS socket, an SSH channel, ...); rejects with BackendError. */
  dial: (signal: AbortSignal) => Promise<BackendStream>;
  /** Called once the backend is connected, with the latest terminal size; undefined = raw byte bridge. */
  createCodec: ((cols: number, rows: number) => Codec | undefined) | undefined;
  /** Called exactly once, after teardown. */
  onClose: (session: S) => void;
  onMssp?: (vars: Record<string, string[]>) => void;
  /** Resume (porthole.v1 only): the token and how long to hold the backend after a drop. */
  resume?: SessionResume | undefined;
  /** The session lost its browser (true) or got one back (false): registry counts, metrics. */
  onDetach?: (session: S, detached: boolean) => void;
}

export interface SessionResume {
  token: string;
  holdMs: number;
  /** Replay ring size (limits.resumeBufferBytes). */
  bufferBytes: number;
}

/**
 * What sharing and recording hook into (see docs/ARCHITECTURE.md, "Adding a viewer"): the
 * owner's requests the session does not handle itself, its size, its input, and the end.
 */
export interface SessionExtension {
  /** An owner's control message other than resize/gmcp/msdp (share, unshare); true when taken. */
  request?(msg: ClientMessage): boolean;
  /** The owner's terminal size. */
  resize?(cols: number, rows: number): void;
  /** The owner's keystrokes (only extensions that ask, e.g. a recorder with recordInput). */
  input?: ((data: Uint8Array) => void) | undefined;
  /** A resumed owner's browser is attached (tell it what it missed: the link, the viewer count). */
  resumed?(): void;
  /** The session ended (called once, after the owner's close). */
  closed(code: number, reason: string): void;
}

export interface SessionStats {
  bytesDown: number;
  bytesUp: number;
}

/** The owner's hello: the host, the window, the resume offer, and on a resume where replay starts. */
export function buildHello(
  opts: { hello: Omit<HelloInfo, 'session' | 'windowBytes'>; limits: LimitsConfig },
  session: string,
  resume: SessionResume | undefined,
  resumed: { from: number; gap: boolean } | undefined,
): ServerMessage {
  return {
    type: 'hello',
    ...opts.hello,
    session,
    windowBytes: opts.limits.highWaterBytes,
    ...(resume === undefined
      ? {}
      : { resume: { token: resume.token, holdSeconds: Math.round(resume.holdMs / 1000) } }),
    ...(resumed === undefined
      ? {}
      : { resumed: resumed.gap ? { from: resumed.from, gap: true } : { from: resumed.from } }),
  };
}
