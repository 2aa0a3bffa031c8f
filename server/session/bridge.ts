/**
 * The backend half of a session: dials, owns the backend stream and the codec, writes the
 * browser's input to the backend (with backpressure), puts the backend's output into the
 * session's OutputStream, and enforces idle, lifetime and credential expiry. It outlives any
 * one browser connection and knows nothing of WebSockets.
 */
import type { ServerMessage } from '../../shared/protocol.ts';
import { CloseCode } from '../../shared/protocol.ts';
import type { Codec, CodecEvent } from '../codec/codec.ts';
import type { Logger } from '../common/log.ts';
import { BackendError } from '../targets/dial.ts';
import type { BackendStream } from './backend-stream.ts';
import { BackendWriter } from './backend-writer.ts';
import { OutputStream } from './output.ts';

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
const RESIZE_INTERVAL_MS = 100;

type BridgeState = 'connecting' | 'open' | 'closed';

/** Why the backend is paused: a bit each, the backend reads only when none is set. */
export const Hold = { OWNER: 1 } as const;

export class Bridge {
  readonly output = new OutputStream();
  readonly startedAt = Date.now();
  readonly stats: BridgeStats = { bytesDown: 0, bytesUp: 0 };
  #opts: BridgeOptions;
  #state: BridgeState = 'connecting';
  #backend: BackendStream | undefined;
  #codec: Codec | undefined;
  #dialAbort = new AbortController();
  #writer: BackendWriter;
  #holds = 0;
  #active = false;
  #lastActivity = Date.now();
  /** 0 × 0 until the browser sends its size: the telnet engine's NAWS waits for it (issue 11). */
  #cols = 0;
  #rows = 0;
  #ticksWithoutSize = 0;
  #lastResizeAt = 0;
  #resizePending = false;

  constructor(opts: BridgeOptions) {
    this.#opts = opts;
    this.#writer = new BackendWriter(opts.bufferCapBytes, {
      inputFlow: (open) => {
        if (this.#state !== 'closed') opts.events.inputFlow(open);
      },
      overCap: () =>
        opts.events.end(CloseCode.POLICY, 'slow consumer: the host is not reading', 'slow-backend'),
    });
  }

  get state(): BridgeState {
    return this.#state;
  }

  /** Bytes held for the backend: its write queue and input queued before it connected. */
  get bufferedBytes(): number {
    return this.#writer.bufferedBytes;
  }

  /** Dials; the outcome arrives through the events. */
  async connect(): Promise<void> {
    let stream: BackendStream;
    try {
      stream = await this.#opts.dial(this.#dialAbort.signal);
    } catch (err) {
      this.#dialFailed(err);
      return;
    }
    if (this.#state === 'closed') {
      stream.destroy();
      return;
    }
    // A throw here (a codec's factory or start()) would be an unhandled rejection: the
    // whole process would exit. Guarded, it ends this session only (SECURITY.md G13).
    try {
      this.#attach(stream);
    } catch (err) {
      this.#internal(err);
    }
  }

  #dialFailed(err: unknown): void {
    const kind = err instanceof BackendError ? err.kind : 'unreachable';
    const { log, events } = this.#opts;
    if (kind === 'no-descriptors') {
      // Out of descriptors is our capacity, not the host's failure: 1013, try again later.
      log.warn(
        { event: 'capacity.descriptors', session: this.#opts.id, detail: (err as Error).message },
        'out of file descriptors: session refused with 1013 (lower limits.maxSessions)',
      );
      events.end(CloseCode.TRY_AGAIN_LATER, 'server at capacity', 'fd-limit');
    } else if (kind !== 'aborted') {
      log.info(
        { session: this.#opts.id, backend: kind, detail: (err as Error).message },
        'backend unavailable',
      );
      events.end(CloseCode.BAD_GATEWAY, 'backend unavailable', `backend-${kind}`);
    }
  }

  #attach(stream: BackendStream): void {
    const { events, log } = this.#opts;
    this.#backend = stream;
    this.#state = 'open';
    stream.on('data', this.#onData);
    stream.on('end', () =>
      events.end(CloseCode.BACKEND_CLOSED, 'host closed the connection', 'backend-end'),
    );
    stream.on('error', (err: NodeJS.ErrnoException) => {
      log.info({ session: this.#opts.id, detail: err.code ?? err.message }, 'backend socket error');
      events.end(CloseCode.BAD_GATEWAY, 'backend connection lost', 'backend-error');
    });
    stream.on('close', () =>
      events.end(CloseCode.BACKEND_CLOSED, 'host closed the connection', 'backend-close'),
    );
    if (this.#holds !== 0) stream.pause();
    events.connected();
    this.#codec = this.#opts.createCodec?.(this.#cols, this.#rows);
    if (this.#cols !== 0) stream.resize?.(this.#cols, this.#rows);
    if (this.#codec !== undefined) this.#handle(this.#codec.start());
    this.#writer.attach(stream, this.#encode);
  }

  #onData = (chunk: Buffer): void => {
    try {
      this.#active = true;
      if (this.#codec === undefined) this.#emit(chunk);
      else this.#handle(this.#codec.fromBackend(chunk));
    } catch (err) {
      this.#internal(err);
    }
  };

  #internal(err: unknown): void {
    this.#opts.log.error({ session: this.#opts.id, err }, 'session handler threw');
    this.#opts.events.end(CloseCode.INTERNAL, 'internal error', 'internal');
  }

  /** Terminal bytes from the browser. */
  input(data: Uint8Array): void {
    this.#active = true;
    this.stats.bytesUp += data.length;
    if (this.#state === 'open') this.#writer.write(this.#encode(data));
    else if (this.#state === 'connecting') this.#writer.queue(data);
  }

  /** The browser is active (any message counts against the idle limit). */
  touch(): void {
    this.#active = true;
  }

  resize(cols: number, rows: number): void {
    this.#cols = cols;
    this.#rows = rows;
    this.#resizePending = true;
    if (Date.now() - this.#lastResizeAt >= RESIZE_INTERVAL_MS) this.#applyResize();
  }

  gmcp(pkg: string, data: unknown): void {
    if (this.#codec !== undefined) this.#handle(this.#codec.gmcp(pkg, data));
  }

  msdp(data: Record<string, unknown>): void {
    if (this.#codec?.msdp !== undefined) this.#handle(this.#codec.msdp(data));
  }

  /** Sets or clears one reason to pause the backend (Hold.*); it reads only when none is set. */
  hold(reason: number, on: boolean): void {
    const before = this.#holds;
    this.#holds = on ? before | reason : before & ~reason;
    if ((before === 0) === (this.#holds === 0)) return;
    if (this.#holds !== 0) this.#backend?.pause();
    else this.#backend?.resume();
  }

  /** A client that never sends a size still gets NAWS (80 × 24) after a couple of ticks. */
  #defaultSizeIfSilent(): void {
    if (this.#cols !== 0 || this.#state !== 'open' || ++this.#ticksWithoutSize < 2) return;
    this.#cols = 80;
    this.#rows = 24;
    this.#applyResize();
  }

  #applyResize(): void {
    this.#resizePending = false;
    this.#lastResizeAt = Date.now();
    this.#backend?.resize?.(this.#cols, this.#rows);
    if (this.#codec !== undefined) this.#handle(this.#codec.resize(this.#cols, this.#rows));
  }

  #encode = (data: Uint8Array): Uint8Array =>
    this.#codec === undefined ? data : this.#codec.fromClient(data);

  #emit(bytes: Uint8Array): void {
    this.stats.bytesDown += bytes.length;
    this.output.write(bytes);
  }

  #control(msg: ServerMessage): void {
    this.output.control(msg);
  }

  #handle(events: CodecEvent[]): void {
    for (const ev of events) {
      if (this.#state === 'closed') return;
      switch (ev.kind) {
        case 'data':
          this.#emit(ev.bytes);
          break;
        case 'send':
          this.#writer.write(ev.bytes);
          break;
        case 'echo':
          this.#control({ type: 'echo', local: ev.local });
          break;
        case 'prompt':
          this.#control({ type: 'prompt' });
          break;
        case 'gmcp':
          this.#control({ type: 'gmcp', package: ev.package, data: ev.data });
          break;
        case 'msdp':
          this.#control({ type: 'msdp', data: ev.data });
          break;
        case 'mxp':
          this.#control({ type: 'mxp', enabled: ev.enabled });
          break;
        case 'mssp':
          this.#opts.onMssp?.(ev.vars);
          break;
        case 'fatal':
          this.#opts.log.warn(
            { session: this.#opts.id, detail: ev.message },
            'backend stream undecodable',
          );
          this.#opts.events.end(
            CloseCode.BACKEND_PROTOCOL,
            'host sent data that could not be decoded',
            'backend-protocol',
          );
          break;
        case 'warning':
          this.#opts.log.debug({ session: this.#opts.id, detail: ev.message }, 'codec warning');
          break;
      }
    }
  }

  /** Credential expiry, then the pending resize and activity; false once the session ended. */
  tickStart(now: number): boolean {
    if (this.#opts.expiresAt !== undefined && now >= this.#opts.expiresAt) {
      this.#opts.events.end(CloseCode.POLICY, 'session expired', 'credential-expired');
      return false;
    }
    if (this.#resizePending && this.#state === 'open') this.#applyResize();
    this.#defaultSizeIfSilent();
    if (this.#active) {
      this.#active = false;
      this.#lastActivity = now;
    }
    return this.#state !== 'closed';
  }

  /** Idle and lifetime limits. */
  tickLimits(now: number): void {
    const { idleTimeoutMs, maxSessionMs, events } = this.#opts;
    if (idleTimeoutMs > 0 && now - this.#lastActivity >= idleTimeoutMs) {
      events.end(CloseCode.IDLE_TIMEOUT, 'idle timeout', 'idle');
    } else if (maxSessionMs > 0 && now - this.startedAt >= maxSessionMs) {
      events.end(CloseCode.SESSION_LIMIT, 'session time limit reached', 'lifetime');
    }
  }

  /** Single teardown of the backend side: abort the dial, FIN the backend, drop queued input. */
  shutdown(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#dialAbort.abort();
    this.#writer.drop();
    const backend = this.#backend;
    if (backend !== undefined && !backend.destroyed) {
      // FIN first so the host sees an orderly close; destroy if it never finishes (no half-open leak).
      backend.end();
      setTimeout(() => backend.destroy(), this.#opts.closeTimeoutMs).unref();
    }
  }
}
