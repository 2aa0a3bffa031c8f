/**
 * The backend half of a session: dials, owns the backend stream and the codec, writes the
 * browser's input to the backend (with backpressure), puts the backend's output into the
 * session's OutputStream, and enforces idle, lifetime and credential expiry. It outlives any
 * one browser connection and knows nothing of WebSockets.
 */
import { CloseCode } from '../../shared/protocol.ts';
import type { Codec, CodecEvent } from '../codec/codec.ts';
import type { BackendStream } from './backend-stream.ts';
import { BackendWriter } from './backend-writer.ts';
import {
  type BridgeOptions,
  type BridgeState,
  type BridgeStats,
  CODEC_EVENTS_PER_SECOND,
  CONTROL_MESSAGES_PER_SECOND,
  dialFailed,
  Hold,
  RESIZE_INTERVAL_MS,
} from './bridge-types.ts';
import { controlMessage } from './codec-events.ts';
import { OutputStream } from './output.ts';

export { type BridgeEvents, type BridgeOptions, type BridgeStats, Hold } from './bridge-types.ts';

export class Bridge {
  readonly output = new OutputStream();
  readonly startedAt = Date.now();
  readonly stats: BridgeStats = { bytesDown: 0, bytesUp: 0 };
  #opts: BridgeOptions;
  #state: BridgeState = 'connecting';
  #backend: BackendStream | undefined;
  #codec: Codec | undefined;
  /** Only while dialling: an AbortController with its signal is about 800 bytes of heap. */
  #dialAbort: AbortController | undefined = new AbortController();
  #writer: BackendWriter;
  #holds = 0;
  #moreScheduled = false;
  #eventsThisSecond = 0;
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
      stream = await this.#opts.dial((this.#dialAbort ?? new AbortController()).signal);
    } catch (err) {
      dialFailed(err, this.#opts);
      return;
    } finally {
      this.#dialAbort = undefined;
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

  #attach(stream: BackendStream): void {
    const { events, log } = this.#opts;
    this.#backend = stream;
    this.#state = 'open';
    stream.on('data', this.#onData);
    stream.on('end', () =>
      events.end(CloseCode.BACKEND_CLOSED, 'host closed the connection', 'backend-end'),
    );
    stream.on('error', (err: NodeJS.ErrnoException) => {
      log.info(
        { event: 'backend.error', session: this.#opts.id, detail: err.code ?? err.message },
        'backend socket error',
      );
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
    this.#opts.log.error(
      { event: 'session.error', session: this.#opts.id, err },
      'session handler threw',
    );
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
    const holds = on ? before | reason : before & ~reason;
    if (holds === before) return;
    this.#holds = holds;
    if ((before === 0) !== (holds === 0)) {
      if (holds !== 0) this.#backend?.pause();
      else this.#backend?.resume();
    }
    this.#scheduleCodec();
  }

  /** Only the codec's own hold left: work through its backlog on a later turn of the loop. */
  #scheduleCodec(): void {
    if (this.#holds !== Hold.CODEC || this.#moreScheduled) return;
    this.#moreScheduled = true;
    setImmediate(this.#continueCodec);
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

  #handle(events: CodecEvent[]): void {
    const log = this.#opts.log;
    this.#eventsThisSecond += events.length;
    for (const ev of events) {
      if (this.#state === 'closed') return;
      if (ev.kind === 'data') this.#emit(ev.bytes);
      else if (ev.kind === 'send') this.#writer.write(ev.bytes);
      else if (ev.kind === 'mssp') this.#opts.onMssp?.(ev.vars);
      else if (ev.kind === 'warning')
        log.debug(
          { event: 'codec.warning', session: this.#opts.id, detail: ev.message },
          'codec warning',
        );
      else if (ev.kind === 'fatal') {
        log.warn(
          { event: 'backend.undecodable', session: this.#opts.id, detail: ev.message },
          'backend stream undecodable',
        );
        this.#opts.events.end(
          CloseCode.BACKEND_PROTOCOL,
          'host sent data that could not be decoded',
          'backend-protocol',
        );
      } else this.output.control(controlMessage(ev));
    }
    this.#afterBatch();
  }

  /**
   * After each batch of codec events: echo/MXP states go out, and the backend is held while
   * the session is over its control-message budget for this second (Hold.RATE) or the codec
   * still has input from the last read (Hold.CODEC, continued on a later turn of the loop).
   */
  #afterBatch(): void {
    const output = this.output;
    const backlog = this.#codec?.backlog === true;
    // Echo/MXP states go out once the read is worked through (or with the next data).
    if (!backlog) output.flush();
    if (
      output.controlCount > CONTROL_MESSAGES_PER_SECOND ||
      this.#eventsThisSecond > CODEC_EVENTS_PER_SECOND
    )
      this.hold(Hold.RATE, true);
    this.hold(Hold.CODEC, backlog);
    this.#scheduleCodec();
  }

  #continueCodec = (): void => {
    this.#moreScheduled = false;
    const codec = this.#codec;
    if (this.#state !== 'open' || codec?.more === undefined || !codec.backlog) return;
    if ((this.#holds & ~Hold.CODEC) !== 0) return; // hold() schedules us again on release
    try {
      this.#handle(codec.more());
    } catch (err) {
      this.#internal(err);
    }
  };

  /** Credential expiry, then the pending resize and activity; false once the session ended. */
  tickStart(now: number): boolean {
    if (this.#opts.expiresAt !== undefined && now >= this.#opts.expiresAt) {
      this.#opts.events.end(CloseCode.POLICY, 'session expired', 'credential-expired');
      return false;
    }
    this.output.controlCount = 0;
    this.#eventsThisSecond = 0;
    this.hold(Hold.RATE, false);
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
    // Only a dial in progress: abort() builds a DOMException, stack trace and all.
    this.#dialAbort?.abort();
    this.#writer.drop();
    const backend = this.#backend;
    if (backend !== undefined && !backend.destroyed) {
      // FIN first so the host sees an orderly close; destroy if it never finishes (no half-open leak).
      backend.end();
      setTimeout(() => backend.destroy(), this.#opts.closeTimeoutMs).unref();
    }
  }
}
