/** The bridge's options, events and pacing constants (bridge.ts). */
import { CloseCode } from '../../shared/protocol.ts';
import type { Codec } from '../codec/codec.ts';
import type { Logger } from '../common/log.ts';
import { BackendError } from '../targets/dial.ts';
import type { BackendStream } from './backend-stream.ts';

export interface BridgeOptions {
  id: string;
  log: Logger;
  /** Largest backend write queue before the session is ended as a slow consumer. */
  bufferCapBytes: number;
  closeTimeoutMs: number;
  /** Credential expiry (ms since epoch), idle and lifetime limits (0 = off). */
  expiresAt: number | undefined;
  idleTimeoutMs: number;
  maxSessionMs: number;
  /** Connects to the backend; rejects with BackendError. */
  dial: (signal: AbortSignal) => Promise<BackendStream>;
  /** Called once the backend is connected, with the latest terminal size; undefined = raw byte bridge. */
  createCodec: ((cols: number, rows: number) => Codec | undefined) | undefined;
  onMssp: ((vars: Record<string, string[]>) => void) | undefined;
  /** The session's side: told when the backend is up, when input must wait, and when to end. */
  events: BridgeEvents;
}

export interface BridgeEvents {
  connected(): void;
  /** false: stop reading the browser (the backend is not draining); true: read again. */
  inputFlow(open: boolean): void;
  end(code: number, reason: string, cause: string): void;
}

export interface BridgeStats {
  bytesDown: number;
  bytesUp: number;
}

/** At most 10 resizes a second reach the backend (SECURITY.md D8); the last one always does. */
export const RESIZE_INTERVAL_MS = 100;

export type BridgeState = 'connecting' | 'open' | 'closed';

/** Why the backend is paused: a bit each, the backend reads only when none is set. */
export const Hold = {
  /** The owner's browser is behind (ack window or WebSocket buffer). */
  OWNER: 1,
  /** Over the control-message budget for this second; released by the tick. */
  RATE: 2,
  /** The codec stopped early and still has input to work through. */
  CODEC: 4,
  /** Detached, and the replay ring is full of output the browser has not seen. */
  RING: 8,
} as const;

/**
 * Control messages (after coalescing) a session may send the browser per second, and codec
 * events (before coalescing: each `IAC GA` is one) it may cause, before its backend is
 * paused until the next tick. MUDs stay far below both; a flood is paced, never dropped,
 * and one session's flood cannot take the event loop from the others.
 */
export const CONTROL_MESSAGES_PER_SECOND = 1000;
export const CODEC_EVENTS_PER_SECOND = 20_000;

/** A dial that failed: 1013 when we are out of descriptors, else 1014 (aborted: nothing). */
export function dialFailed(err: unknown, opts: BridgeOptions): void {
  const kind = err instanceof BackendError ? err.kind : 'unreachable';
  const { log, events } = opts;
  if (kind === 'no-descriptors') {
    // Out of descriptors is our capacity, not the host's failure: 1013, try again later.
    log.warn(
      { event: 'capacity.descriptors', session: opts.id, detail: (err as Error).message },
      'out of file descriptors: session refused with 1013 (lower limits.maxSessions)',
    );
    events.end(CloseCode.TRY_AGAIN_LATER, 'server at capacity', 'fd-limit');
  } else if (kind !== 'aborted') {
    log.info(
      {
        event: 'backend.unavailable',
        session: opts.id,
        backend: kind,
        detail: (err as Error).message,
      },
      'backend unavailable',
    );
    events.end(CloseCode.BAD_GATEWAY, 'backend unavailable', `backend-${kind}`);
  }
}
