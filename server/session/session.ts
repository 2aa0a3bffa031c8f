/**
 * One browser ⇄ backend bridge: lifecycle, backpressure in both directions, the ack
 * window, heartbeat and timeouts (driven by the registry's shared tick), byte counters and
 * a single teardown. It knows nothing of telnet: a Codec, when present, does that.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { AckWindow } from '../../shared/flow-control.ts';
import type {
  ClientMessage,
  HelloInfo,
  ServerMessage,
  Subprotocol,
} from '../../shared/protocol.ts';
import {
  CloseCode,
  clampReason,
  decodeClient,
  encode,
  ProtocolError,
  SUBPROTOCOL,
} from '../../shared/protocol.ts';
import type { Codec, CodecEvent } from '../codec/codec.ts';
import type { Logger } from '../common/log.ts';
import type { LimitsConfig } from '../config/config.ts';
import { BackendError } from '../targets/dial.ts';

export interface SessionOptions {
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
  /** Connects to the backend; rejects with BackendError. */
  dial: (signal: AbortSignal) => Promise<Socket>;
  /** Called once the backend is connected, with the latest terminal size; undefined = raw byte bridge. */
  createCodec: ((cols: number, rows: number) => Codec | undefined) | undefined;
  /** Called exactly once, after teardown. */
  onClose: (session: Session) => void;
  onMssp?: (vars: Record<string, string[]>) => void;
}

export interface SessionStats {
  bytesDown: number;
  bytesUp: number;
}

/** An ack covering at least this much is not counted as a message (see #onMessage). */
const PACED_ACK_BYTES = 16 * 1024;
const SEND_BINARY = { binary: true } as const;
/** Bytes the browser may send before the backend is connected; beyond it the WebSocket is paused. */
const PRECONNECT_QUEUE_BYTES = 256 * 1024;
/** At most 10 resizes a second reach the backend (SECURITY.md D8); the last one always does. */
const RESIZE_INTERVAL_MS = 100;

type State = 'connecting' | 'open' | 'closed';

/** The close code ws sends when a peer breaks the protocol (ws keeps it on a private symbol). */
function wsErrorCloseCode(code: string | undefined): number {
  switch (code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
    case 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH':
      return CloseCode.TOO_BIG;
    case 'WS_ERR_TOO_MANY_BUFFERED_PARTS':
      return CloseCode.POLICY;
    case 'WS_ERR_INVALID_UTF8':
      return 1007;
    default:
      return 1002; // protocol error: bad opcode, RSV bits, unmasked frame, ...
  }
}

export class Session {
  readonly id: string;
  readonly clientIp: string;
  readonly user: string;
  readonly hostId: string;
  readonly startedAt = Date.now();
  readonly stats: SessionStats = { bytesDown: 0, bytesUp: 0 };
  #state: State = 'connecting';
  #opts: SessionOptions;
  #ws: WebSocket;
  #v1: boolean;
  #backend: Socket | undefined;
  #codec: Codec | undefined;
  #window: AckWindow;
  #dialAbort = new AbortController();
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #backendPaused = false;
  /** Browser→backend flow: paused while the backend has not drained, or the rate budget is spent. */
  #drainWait = false;
  #throttled = false;
  #backendCorked = false;
  #wsReading = true;
  #active = false;
  #lastActivity = Date.now();
  #lastPing = Date.now();
  #awaitingPong = false;
  #closeCode = 0;
  #closeReason = '';
  #killTimer: NodeJS.Timeout | undefined;
  /** 0 × 0 until the browser sends its size: the telnet engine's NAWS waits for it (issue 11). */
  #cols = 0;
  #rows = 0;
  #ticksWithoutSize = 0;
  #lastResizeAt = 0;
  #resizePending = false;
  #messagesThisSecond = 0;
  #bytesThisSecond = 0;

  constructor(opts: SessionOptions) {
    this.#opts = opts;
    this.id = opts.id;
    this.clientIp = opts.clientIp;
    this.user = opts.user;
    this.hostId = opts.hello.host.id;
    this.#ws = opts.ws;
    this.#v1 = opts.mode === SUBPROTOCOL;
    this.#window = new AckWindow(opts.limits.highWaterBytes, opts.limits.lowWaterBytes);
    const ws = this.#ws;
    ws.on('message', (data: Buffer, isBinary: boolean) =>
      this.#guard(() => this.#onMessage(data, isBinary)),
    );
    ws.on('pong', () => {
      this.#awaitingPong = false;
    });
    ws.on('close', (code: number, reason: Buffer) => this.#onWsClose(code, reason));
    ws.on('error', (err: Error & { code?: string }) => {
      opts.log.debug({ session: this.id, err: err.message }, 'websocket error');
      this.#finish(wsErrorCloseCode(err.code), err.message, 'client-error');
      // ws has already queued a close frame with that code and stops reading; terminating
      // now would reset the connection and lose it (the client would see 1006). Cut the
      // connection only if the peer does not finish the close in time.
      this.#armKillTimer();
    });
    this.#control({
      type: 'hello',
      ...opts.hello,
      session: this.id,
      windowBytes: opts.limits.highWaterBytes,
    });
    this.#control({ type: 'status', state: 'connecting' });
    void this.#connect();
  }

  get state(): State {
    return this.#state;
  }

  /** Bytes this session holds in memory on the browser side and the backend side. */
  get bufferedBytes(): number {
    return this.#ws.bufferedAmount + (this.#backend?.writableLength ?? 0) + this.#pendingBytes;
  }

  async #connect(): Promise<void> {
    let socket: Socket;
    try {
      socket = await this.#opts.dial(this.#dialAbort.signal);
    } catch (err) {
      const kind = err instanceof BackendError ? err.kind : 'unreachable';
      if (kind === 'no-descriptors') {
        // Out of descriptors is our capacity, not the host's failure: 1013, try again later.
        this.#opts.log.warn(
          { event: 'capacity.descriptors', session: this.id, detail: (err as Error).message },
          'out of file descriptors: session refused with 1013 (lower limits.maxSessions)',
        );
        this.close(CloseCode.TRY_AGAIN_LATER, 'server at capacity', 'fd-limit');
      } else if (kind !== 'aborted') {
        this.#opts.log.info(
          { session: this.id, backend: kind, detail: (err as Error).message },
          'backend unavailable',
        );
        this.close(CloseCode.BAD_GATEWAY, 'backend unavailable', `backend-${kind}`);
      }
      return;
    }
    if (this.#state === 'closed') {
      socket.destroy();
      return;
    }
    // A throw here (a codec's factory or start()) would be an unhandled rejection: the
    // whole process would exit. Guarded, it ends this session only (SECURITY.md G13).
    this.#guard(() => this.#attach(socket));
  }

  #attach(socket: Socket): void {
    this.#backend = socket;
    this.#state = 'open';
    socket.on('data', (chunk: Buffer) => this.#guard(() => this.#onBackendData(chunk)));
    socket.on('end', () =>
      this.close(CloseCode.BACKEND_CLOSED, 'host closed the connection', 'backend-end'),
    );
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#opts.log.info(
        { session: this.id, detail: err.code ?? err.message },
        'backend socket error',
      );
      this.close(CloseCode.BAD_GATEWAY, 'backend connection lost', 'backend-error');
    });
    socket.on('close', () =>
      this.close(CloseCode.BACKEND_CLOSED, 'host closed the connection', 'backend-close'),
    );
    this.#control({ type: 'status', state: 'connected' });
    this.#codec = this.#opts.createCodec?.(this.#cols, this.#rows);
    if (this.#codec !== undefined) this.#handle(this.#codec.start());
    const queued = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#drainWait = false;
    for (const chunk of queued) this.#toBackend(chunk);
    this.#syncWs();
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    this.#active = true;
    this.#awaitingPong = false;
    const limits = this.#opts.limits;
    this.#bytesThisSecond += data.length;
    if (this.#bytesThisSecond >= limits.maxBytesPerSecond && !this.#throttled) {
      // A big paste is legitimate: slow it down (stop reading until the next tick), lose nothing.
      this.#throttled = true;
      this.#syncWs();
    }
    if (isBinary || !this.#v1) {
      if (this.#overMessageRate()) return;
      // websockify's binary mode relays text frames as bytes too.
      this.stats.bytesUp += data.length;
      if (this.#state === 'open') this.#toBackend(data);
      else if (this.#state === 'connecting') this.#queue(data);
      return;
    }
    const msg = decodeClient(data.toString('utf8'));
    if (msg instanceof ProtocolError) {
      this.#opts.log.warn(
        { session: this.id, ip: this.clientIp, detail: msg.message },
        'bad control message',
      );
      this.close(CloseCode.POLICY, `bad control message: ${msg.message}`, 'bad-message');
      return;
    }
    // Acks of a real amount are paced by the data itself (each must cover bytes not yet
    // acknowledged), so a fast download does not count against the message rate.
    const pacedAck = msg.type === 'ack' && msg.bytes >= PACED_ACK_BYTES;
    if (!pacedAck && this.#overMessageRate()) return;
    this.#onControl(msg);
  }

  /** Counted per tick (one second); typing and pasting stay far below (SECURITY.md C13). */
  #overMessageRate(): boolean {
    if (++this.#messagesThisSecond <= this.#opts.limits.maxMessagesPerSecond) return false;
    this.close(CloseCode.POLICY, 'too many messages', 'rate-messages');
    return true;
  }

  #onControl(msg: ClientMessage): void {
    switch (msg.type) {
      case 'ack':
        if (!this.#window.ack(msg.bytes)) {
          this.close(CloseCode.POLICY, 'acknowledged more bytes than were sent', 'bad-ack');
        } else if (this.#backendPaused) this.#maybeResumeBackend();
        return;
      case 'ping':
        this.#control({ type: 'pong', t: msg.t });
        return;
      case 'resize':
        this.#cols = msg.cols;
        this.#rows = msg.rows;
        this.#resizePending = true;
        if (Date.now() - this.#lastResizeAt >= RESIZE_INTERVAL_MS) this.#applyResize();
        return;
      case 'gmcp':
        if (this.#codec !== undefined) this.#handle(this.#codec.gmcp(msg.package, msg.data));
        return;
      case 'msdp':
        if (this.#codec?.msdp !== undefined) this.#handle(this.#codec.msdp(msg.data));
        return;
    }
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
    if (this.#codec !== undefined) this.#handle(this.#codec.resize(this.#cols, this.#rows));
  }

  #queue(data: Buffer): void {
    this.#pending.push(data);
    this.#pendingBytes += data.length;
    if (this.#pendingBytes >= PRECONNECT_QUEUE_BYTES) {
      this.#drainWait = true;
      this.#syncWs();
    }
  }

  #toBackend(data: Buffer): void {
    const backend = this.#backend;
    if (backend === undefined || backend.destroyed) return;
    const out = this.#codec === undefined ? data : this.#codec.fromClient(data);
    this.#writeBackend(backend, out);
  }

  /** Every write to the backend (typed bytes, GMCP, negotiation replies) obeys the same cap. */
  #writeBackend(backend: Socket, out: Uint8Array): void {
    if (out.length === 0 || backend.destroyed) return;
    if (!this.#backendCorked) {
      // The frames of one TCP read from the browser arrive in one synchronous burst: send
      // them in one writev once it is over (a microtask: no added latency), not a write each.
      this.#backendCorked = true;
      backend.cork();
      queueMicrotask(this.#uncorkBackend);
    }
    if (!backend.write(out)) {
      if (backend.writableLength > this.#opts.limits.sessionBufferCapBytes) {
        this.close(CloseCode.POLICY, 'slow consumer: the host is not reading', 'slow-backend');
        return;
      }
      if (!this.#drainWait) {
        this.#drainWait = true;
        backend.once('drain', this.#onBackendDrain);
        this.#syncWs();
      }
    }
  }

  #uncorkBackend = (): void => {
    this.#backendCorked = false;
    this.#backend?.uncork();
  };

  #onBackendDrain = (): void => {
    this.#drainWait = false;
    this.#syncWs();
  };

  /** Reads from the browser only while nothing holds the flow back. */
  #syncWs(): void {
    const want = !this.#drainWait && !this.#throttled && this.#state !== 'closed';
    if (want === this.#wsReading) return;
    this.#wsReading = want;
    // Pongs could not be read while paused: give the outstanding ping a fresh deadline.
    if (want && this.#awaitingPong) this.#lastPing = Date.now();
    if (want) this.#ws.resume();
    else this.#ws.pause();
  }

  #onBackendData(chunk: Buffer): void {
    this.#active = true;
    if (this.#codec === undefined) this.#sendData(chunk);
    else this.#handle(this.#codec.fromBackend(chunk));
  }

  #handle(events: CodecEvent[]): void {
    for (const ev of events) {
      if (this.#state === 'closed') return;
      switch (ev.kind) {
        case 'data':
          this.#sendData(ev.bytes);
          break;
        case 'send':
          if (this.#backend !== undefined) this.#writeBackend(this.#backend, ev.bytes);
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
            { session: this.id, detail: ev.message },
            'backend stream undecodable',
          );
          this.close(
            CloseCode.BACKEND_PROTOCOL,
            'host sent data that could not be decoded',
            'backend-protocol',
          );
          break;
        case 'warning':
          this.#opts.log.debug({ session: this.id, detail: ev.message }, 'codec warning');
          break;
      }
    }
  }

  #sendData(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n === 0 || this.#ws.readyState !== 1) return;
    this.stats.bytesDown += n;
    this.#ws.send(bytes, SEND_BINARY, this.#onFlushed);
    const limits = this.#opts.limits;
    const overWindow = this.#v1 && this.#window.sent(n);
    // bufferedAmount is what this process holds for the browser; unacknowledged bytes
    // beyond it sit in kernels and the browser, not here.
    const buffered = this.#ws.bufferedAmount;
    if (buffered > limits.sessionBufferCapBytes) {
      this.close(CloseCode.POLICY, 'slow consumer: the browser is not keeping up', 'slow-client');
      return;
    }
    if ((overWindow || buffered >= limits.highWaterBytes) && !this.#backendPaused) {
      this.#backendPaused = true;
      this.#backend?.pause();
    }
  }

  #onFlushed = (): void => {
    if (this.#backendPaused) this.#maybeResumeBackend();
  };

  #maybeResumeBackend(): void {
    if (this.#state !== 'open') return;
    if (this.#v1 && !this.#window.belowLowWater) return;
    if (this.#ws.bufferedAmount > this.#opts.limits.lowWaterBytes) return;
    this.#backendPaused = false;
    this.#backend?.resume();
  }

  #control(msg: ServerMessage): void {
    if (this.#v1 && this.#ws.readyState === 1) this.#ws.send(encode(msg));
  }

  #guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#opts.log.error({ session: this.id, err }, 'session handler threw');
      this.close(CloseCode.INTERNAL, 'internal error', 'internal');
    }
  }

  /** Called by the registry's shared timer: heartbeat, idle and lifetime limits. */
  tick(now: number): void {
    if (this.#state === 'closed') return;
    const { heartbeatInterval, heartbeatTimeout } = this.#opts.limits;
    this.#messagesThisSecond = 0;
    this.#bytesThisSecond = 0;
    if (this.#throttled) {
      this.#throttled = false;
      this.#syncWs();
    }
    if (this.#opts.expiresAt !== undefined && now >= this.#opts.expiresAt) {
      this.close(CloseCode.POLICY, 'session expired', 'credential-expired');
      return;
    }
    if (this.#resizePending && this.#state === 'open') this.#applyResize();
    this.#defaultSizeIfSilent();
    if (this.#active) {
      this.#active = false;
      this.#lastActivity = now;
    }
    // While we are not reading the browser (backpressure), its pongs cannot arrive: no verdict.
    if (this.#awaitingPong && this.#wsReading && now - this.#lastPing >= heartbeatTimeout) {
      this.#opts.log.info({ session: this.id }, 'browser stopped answering pings');
      this.#finish(CloseCode.ABNORMAL, 'no pong', 'heartbeat');
      this.#ws.terminate();
      return;
    }
    if (!this.#awaitingPong && heartbeatInterval > 0 && now - this.#lastPing >= heartbeatInterval) {
      this.#lastPing = now;
      this.#awaitingPong = true;
      this.#ws.ping();
    }
    if (this.#opts.idleTimeoutMs > 0 && now - this.#lastActivity >= this.#opts.idleTimeoutMs) {
      this.close(CloseCode.IDLE_TIMEOUT, 'idle timeout', 'idle');
    } else if (this.#opts.maxSessionMs > 0 && now - this.startedAt >= this.#opts.maxSessionMs) {
      this.close(CloseCode.SESSION_LIMIT, 'session time limit reached', 'lifetime');
    }
  }

  /** Ends the session: close frame to the browser, FIN to the backend, exactly once. */
  close(code: number, reason: string, cause: string): void {
    if (!this.#finish(code, reason, cause)) return;
    const ws = this.#ws;
    if (ws.readyState === 0 || ws.readyState === 1) {
      ws.close(code, clampReason(reason));
      this.#armKillTimer();
    }
  }

  #armKillTimer(): void {
    if (this.#killTimer !== undefined) return;
    const ws = this.#ws;
    this.#killTimer = setTimeout(() => ws.terminate(), this.#opts.limits.closeTimeout);
    this.#killTimer.unref();
  }

  #onWsClose(code: number, reason: Buffer): void {
    clearTimeout(this.#killTimer);
    this.#finish(code, reason.toString('utf8'), 'client-close');
  }

  /** Single teardown. Returns false if the session had already finished. */
  #finish(code: number, reason: string, cause: string): boolean {
    if (this.#state === 'closed') return false;
    this.#state = 'closed';
    this.#closeCode = code;
    this.#closeReason = reason;
    this.#dialAbort.abort();
    this.#pending = [];
    this.#pendingBytes = 0;
    const backend = this.#backend;
    if (backend !== undefined && !backend.destroyed) {
      // FIN first so the host sees an orderly close; destroy if it never finishes (no half-open leak).
      backend.end();
      setTimeout(() => backend.destroy(), this.#opts.limits.closeTimeout).unref();
    }
    this.#opts.log.info(
      {
        event: 'session.close',
        session: this.id,
        ip: this.clientIp,
        user: this.user,
        host: this.hostId,
        code,
        reason: clampReason(reason),
        cause,
        bytesDown: this.stats.bytesDown,
        bytesUp: this.stats.bytesUp,
        durationMs: Date.now() - this.startedAt,
      },
      'session closed',
    );
    this.#opts.onClose(this);
    return true;
  }

  get closeCode(): number {
    return this.#closeCode;
  }

  get closeReason(): string {
    return this.#closeReason;
  }
}
