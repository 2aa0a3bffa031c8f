/**
 * One Porthole session as the browser sees it: the WebSocket lifecycle, acknowledgements
 * for flow control (docs/ARCHITECTURE.md), latency probes, and reconnecting after unexpected drops.
 * DOM-free: the socket, the terminal and the clock are injected, so it runs under node:test.
 */
import { AckBatcher, countsInWindow, utf8Length } from '../shared/flow-control.ts';
import {
  type ClientMessage,
  CloseCode,
  clampCols,
  clampRows,
  decodeServer,
  describeClose,
  encode,
  type HelloInfo,
  ProtocolError,
  type ServerMessage,
  SUBPROTOCOL,
} from '../shared/protocol.ts';
import { Backoff, reconnectDelayMs } from './backoff.ts';
import {
  type Clock,
  type ConnectionHooks,
  type ConnectionOptions,
  type ConnectionState,
  type Ended,
  type ProbeResult,
  Sentences,
  systemClock,
  type Transport,
} from './connection-types.ts';

export * from './connection-types.ts';

/** Keystroke frames are split at this size. */
const MAX_FRAME_BYTES = 64 * 1024;
/** A drop after this long connected starts the backoff from the first step again. */
const STABLE_AFTER_MS = 10_000;
/**
 * What is left below a full batch (terminal bytes once xterm goes idle, control messages) is
 * acknowledged this long after, in one ack: typing at a shell costs one ack per 100 ms, not
 * one per echo, and the ack is off the round trip's path. The server's window (512 KiB) is
 * far above one batch, so the delay never holds the backend back.
 */
const ACK_IDLE_DELAY_MS = 100;
/** Pings unanswered for this many intervals mean the network is gone even if the socket says open. */
const STALL_INTERVALS = 3;
/**
 * A handshake unanswered this long is given up and retried like a refused one. Browsers wait
 * far longer on their own, and some connections are never answered: a balancer that drops
 * them, or, under `--workers`, one node:cluster hands to a worker in the instant it dies.
 */
const OPEN_TIMEOUT_MS = 20_000;

/** What to say, and whether to retry, for each reason a handshake was refused. */
const PROBE_SENTENCES: Readonly<Record<ProbeResult, readonly [string, boolean]>> = {
  'unknown-host': [Sentences.unknownHost, false],
  'auth-required': [Sentences.signIn, false],
  'locked-out': [Sentences.lockedOut, false],
  'rate-limited': [Sentences.rateLimited, true],
  capacity: [Sentences.capacity, true],
  'too-many': [Sentences.tooMany, false],
  draining: [Sentences.draining, true],
  // The server would admit us now (the refusal was transient, or was the page's origin).
  ok: [Sentences.refused, true],
  refused: [Sentences.refused, true],
  unreachable: [Sentences.unreachable, true],
};

export class Connection {
  #opts: ConnectionOptions;
  #hooks: ConnectionHooks;
  #clock: Clock;
  #state: ConnectionState = 'idle';
  #transport: Transport | undefined;
  /** Bumped on every new socket, so late events and write callbacks of an old one are ignored. */
  #generation = 0;
  #opened = false;
  #acks: AckBatcher;
  #writesInFlight = 0;
  #attempt = 0;
  #connectedAt: number | undefined;
  #cancelRetry: (() => void) | undefined;
  #cancelPing: (() => void) | undefined;
  #cancelOpenTimeout: (() => void) | undefined;
  #cancelAckFlush: (() => void) | undefined;
  /** Keystrokes sent after the first in the current task (see send). */
  #burst: Uint8Array<ArrayBuffer>[] | undefined;
  #lastPongAt = 0;
  #size: { cols: number; rows: number } | undefined;
  #hello: HelloInfo | undefined;
  #latencyMs: number | undefined;
  #bytesDown = 0;
  /** Resume: the server's offer, terminal bytes of this session so far, when it dropped. */
  #resume: { token: string; holdMs: number } | undefined;
  #received = 0;
  #droppedAt: number | undefined;
  #bytesUp = 0;

  constructor(opts: ConnectionOptions) {
    this.#opts = opts;
    this.#hooks = opts.hooks ?? {};
    this.#clock = opts.clock ?? systemClock;
    this.#acks = new AckBatcher(opts.ackEveryBytes ?? 64 * 1024);
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get hello(): HelloInfo | undefined {
    return this.#hello;
  }

  get latencyMs(): number | undefined {
    return this.#latencyMs;
  }

  /** Terminal bytes received and sent over the life of this object (all reconnects). */
  get stats(): { bytesDown: number; bytesUp: number } {
    return { bytesDown: this.#bytesDown, bytesUp: this.#bytesUp };
  }

  /** Opens the session; also the Reconnect button (the backoff starts again). */
  connect(): void {
    this.#cancelRetry?.();
    this.#cancelRetry = undefined;
    this.#attempt = 0;
    this.#forgetResume();
    this.#drop();
    this.#open();
  }

  /** Ends the session on the user's request: no reconnect. */
  close(): void {
    if (this.#state === 'idle' || this.#state === 'closed') return;
    this.#cancelRetry?.();
    this.#cancelRetry = undefined;
    // A deliberate end: the server closes the backend at once instead of holding it.
    this.#control({ type: 'end' });
    this.#forgetResume();
    this.#drop();
    this.#finish({
      code: CloseCode.NORMAL,
      reason: '',
      sentence: Sentences.deliberate,
      deliberate: true,
      retryInMs: undefined,
      gaveUp: false,
      attempt: this.#attempt,
    });
  }

  /** Keystrokes or a line for the host. Dropped unless the socket is open. */
  send(bytes: Uint8Array<ArrayBuffer>): boolean {
    if (this.#transport === undefined || !this.#opened || bytes.length === 0) return false;
    this.#bytesUp += bytes.length;
    this.#hooks.traffic?.();
    // The first keystroke of a task goes at once; the rest of the same task (xterm answering
    // 400 cursor-position queries in one go) joins one frame, so the browser's own replies
    // never trip the server's message rate.
    if (this.#burst !== undefined) {
      this.#burst.push(bytes);
      return true;
    }
    this.#sendFrames(bytes);
    this.#burst = [];
    const gen = this.#generation;
    queueMicrotask(() => this.#endBurst(gen));
    return true;
  }

  #endBurst(gen: number): void {
    const parts = this.#burst ?? [];
    this.#burst = undefined;
    if (gen !== this.#generation || parts.length === 0) return;
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    this.#sendFrames(joined);
  }

  /** A big paste goes as several frames: the server caps one message (1 MiB by default). */
  #sendFrames(bytes: Uint8Array<ArrayBuffer>): void {
    const transport = this.#transport;
    if (transport === undefined || !this.#opened) return;
    for (let at = 0; at < bytes.length; at += MAX_FRAME_BYTES) {
      transport.send(bytes.subarray(at, at + MAX_FRAME_BYTES));
    }
  }

  resize(cols: number, rows: number): void {
    const size = { cols: clampCols(cols), rows: clampRows(rows) };
    if (size.cols === this.#size?.cols && size.rows === this.#size.rows) return;
    this.#size = size;
    this.#control({ type: 'resize', ...size });
  }

  gmcp(pkg: string, data?: unknown): void {
    this.#control(
      data === undefined ? { type: 'gmcp', package: pkg } : { type: 'gmcp', package: pkg, data },
    );
  }

  /** Asks for a read-only watch link valid for `ttl` seconds (hosts with `share: true`). */
  share(ttl: number): void {
    this.#control({ type: 'share', ttl });
  }

  /** Revokes the watch link; every spectator is disconnected. */
  unshare(): void {
    this.#control({ type: 'unshare' });
  }

  /** MSDP for the host (`LIST`, `REPORT`, …); the server queues it until MSDP is agreed. */
  msdp(data: Record<string, unknown>): void {
    this.#control({ type: 'msdp', data });
  }

  #open(): void {
    const gen = ++this.#generation;
    const live = (): boolean => gen === this.#generation;
    this.#opened = false;
    this.#acks.flush();
    this.#writesInFlight = 0;
    this.#setState('opening');
    try {
      this.#transport = this.#opts.transport(this.#url(), [SUBPROTOCOL], {
        open: () => live() && this.#onOpen(),
        text: (data) => live() && this.#onText(data),
        binary: (data) => live() && this.#onBinary(gen, data),
        close: (code, reason) => live() && this.#onClose(code, reason),
      });
      this.#cancelOpenTimeout = this.#clock.schedule(() => {
        if (!live() || this.#opened) return;
        this.#drop();
        this.#onClose(CloseCode.ABNORMAL, '');
      }, OPEN_TIMEOUT_MS);
    } catch {
      this.#transport = undefined;
      this.#onClose(CloseCode.ABNORMAL, '');
    }
  }

  /** The session URL; while the server holds our session, the resume form of it. */
  #url(): string {
    const r = this.#resume;
    if (r === undefined || this.#droppedAt === undefined) return this.#opts.url;
    const sep = this.#opts.url.includes('?') ? '&' : '?';
    return `${this.#opts.url}${sep}resume=${encodeURIComponent(r.token)}&from=${this.#received}`;
  }

  #forgetResume(): void {
    this.#resume = undefined;
    this.#droppedAt = undefined;
    this.#received = 0;
  }

  #onHello(hello: HelloInfo): void {
    if (hello.resumed !== undefined) {
      this.#received = hello.resumed.from;
      if (hello.resumed.gap === true) this.#hooks.gap?.();
    } else this.#received = 0;
    this.#droppedAt = undefined;
    this.#resume =
      hello.resume === undefined
        ? undefined
        : { token: hello.resume.token, holdMs: hello.resume.holdSeconds * 1000 };
  }

  #onOpen(): void {
    this.#cancelOpenTimeout?.();
    this.#cancelOpenTimeout = undefined;
    this.#opened = true;
    this.#setState('dialing');
    const size = this.#size;
    if (size !== undefined) this.#control({ type: 'resize', ...size });
    this.#lastPongAt = this.#clock.now();
    this.#ping();
  }

  #onText(text: string): void {
    const msg = decodeServer(text);
    // A malformed control frame from our own server is a bug there, not a reason to drop the session.
    if (msg instanceof ProtocolError) return;
    this.#onControl(msg);
    if (countsInWindow(msg.type)) this.#ackControl(utf8Length(text));
  }

  /**
   * The server counts backend-caused control messages in its window: acknowledge them like
   * terminal bytes, batched. A stream of GMCP alone gets one ack per 100 ms at most, so a
   * chatty MUD never makes us exceed the server's message rate.
   */
  #ackControl(n: number): void {
    const bytes = this.#acks.processed(n);
    if (bytes > 0) this.#control({ type: 'ack', bytes });
    else this.#flushAcksSoon();
  }

  /** Acknowledges the remainder after ACK_IDLE_DELAY_MS, once xterm has no writes pending. */
  #flushAcksSoon(): void {
    if (this.#cancelAckFlush !== undefined) return;
    const gen = this.#generation;
    this.#cancelAckFlush = this.#clock.schedule(() => {
      this.#cancelAckFlush = undefined;
      if (gen !== this.#generation || this.#writesInFlight > 0) return;
      const pending = this.#acks.flush();
      if (pending > 0) this.#control({ type: 'ack', bytes: pending });
    }, ACK_IDLE_DELAY_MS);
  }

  #onControl(msg: ServerMessage): void {
    switch (msg.type) {
      case 'hello': {
        const { type: _type, ...hello } = msg;
        this.#onHello(hello);
        this.#hello = hello;
        this.#hooks.hello?.(hello);
        return;
      }
      case 'status':
        if (msg.state === 'connected') {
          this.#connectedAt = this.#clock.now();
          this.#setState('connected');
        } else if (msg.state === 'connecting') this.#setState('dialing');
        return;
      case 'echo':
        this.#hooks.echo?.(msg.local);
        return;
      case 'prompt':
        this.#hooks.prompt?.();
        return;
      case 'gmcp':
        this.#hooks.gmcp?.(msg.package, msg.data);
        return;
      case 'msdp':
        this.#hooks.msdp?.(msg.data);
        return;
      case 'mxp':
        this.#hooks.mxp?.(msg.enabled);
        return;
      case 'pong':
        this.#lastPongAt = this.#clock.now();
        this.#latencyMs = Math.max(0, Math.round(this.#clock.now() - msg.t));
        this.#hooks.latency?.(this.#latencyMs);
        return;
      case 'error':
        this.#hooks.serverError?.(msg.code, msg.message);
        return;
      case 'shared':
      case 'viewers':
      case 'size':
      case 'recording':
        this.#hooks.viewers?.(msg);
        return;
    }
  }

  #onBinary(gen: number, bytes: Uint8Array): void {
    const n = bytes.length;
    this.#bytesDown += n;
    this.#received += n;
    this.#hooks.traffic?.();
    this.#writesInFlight++;
    this.#opts.sink.write(bytes, () => this.#written(gen, n));
  }

  /** xterm has parsed n bytes: acknowledge in batches, and the rest soon after writes go idle. */
  #written(gen: number, n: number): void {
    if (gen !== this.#generation) return;
    this.#writesInFlight--;
    const bytes = this.#acks.processed(n);
    if (bytes > 0) this.#control({ type: 'ack', bytes });
    else if (this.#writesInFlight === 0) this.#flushAcksSoon();
  }

  #ping(): void {
    this.#cancelPing?.();
    const interval = this.#opts.pingIntervalMs ?? 10_000;
    if (this.#clock.now() - this.#lastPongAt > interval * STALL_INTERVALS) {
      this.#drop();
      this.#onClose(CloseCode.ABNORMAL, Sentences.stalled);
      return;
    }
    this.#control({ type: 'ping', t: this.#clock.now() });
    this.#cancelPing = this.#clock.schedule(() => this.#ping(), interval);
  }

  #control(msg: ClientMessage): void {
    if (this.#transport !== undefined && this.#opened) this.#transport.send(encode(msg));
  }

  /** The current socket's timers: its handshake limit, its pings and its pending ack. */
  #stopSocketTimers(): void {
    this.#cancelOpenTimeout?.();
    this.#cancelOpenTimeout = undefined;
    this.#cancelPing?.();
    this.#cancelPing = undefined;
    this.#cancelAckFlush?.();
    this.#cancelAckFlush = undefined;
  }

  /** Forgets the current socket (closing it if still open) without reporting anything. */
  #drop(): void {
    this.#generation++;
    this.#stopSocketTimers();
    const transport = this.#transport;
    this.#transport = undefined;
    this.#opened = false;
    if (transport !== undefined) {
      try {
        transport.close(CloseCode.NORMAL, 'client closed');
      } catch {
        // Already closing; nothing left to do.
      }
    }
  }

  #onClose(code: number, reason: string): void {
    const wasOpen = this.#opened;
    this.#stopSocketTimers();
    this.#transport = undefined;
    this.#opened = false;
    if (!wasOpen && code === CloseCode.ABNORMAL && reason === '') {
      const gen = this.#generation;
      void this.#opts.probe(this.#opts.hostId).then(
        (result) => gen === this.#generation && this.#afterProbe(result),
        () => gen === this.#generation && this.#afterProbe('unreachable'),
      );
      return;
    }
    this.#resumeAfter(code, wasOpen);
    const info = describeClose(code);
    const sentence = reason === Sentences.stalled ? Sentences.stalled : info.sentence;
    this.#ended(code, reason === Sentences.stalled ? '' : reason, sentence, info.retry);
  }

  /** A drop of a resumable session starts the hold; the server saying it is gone ends it. */
  #resumeAfter(code: number, wasOpen: boolean): void {
    const gone =
      code === CloseCode.RESUME_BAD ||
      code === CloseCode.RESUME_EXPIRED ||
      code === CloseCode.RESUME_FOREIGN ||
      code === CloseCode.TAKEN_OVER;
    if (gone) this.#forgetResume();
    // Only a drop (no close frame: 1006) is held; any close the server sends ended it.
    else if (code !== CloseCode.ABNORMAL) this.#forgetResume();
    else if (this.#resume !== undefined && wasOpen && this.#droppedAt === undefined)
      this.#droppedAt = this.#clock.now();
  }

  #afterProbe(result: ProbeResult): void {
    const [sentence, retry] = PROBE_SENTENCES[result];
    this.#ended(CloseCode.ABNORMAL, '', sentence, retry);
  }

  #ended(code: number, reason: string, sentence: string, retry: boolean): void {
    const now = this.#clock.now();
    if (this.#connectedAt !== undefined && now - this.#connectedAt >= STABLE_AFTER_MS) {
      this.#attempt = 0;
    }
    this.#connectedAt = undefined;
    const held =
      this.#resume !== undefined && this.#droppedAt !== undefined
        ? { heldUntil: this.#droppedAt + this.#resume.holdMs }
        : {};
    const base = { code, reason, sentence, deliberate: false, gaveUp: false, ...held };
    if (retry && this.#attempt < Backoff.maxAttempts) {
      this.#attempt++;
      const delay = reconnectDelayMs(this.#attempt, this.#opts.random);
      this.#cancelRetry = this.#clock.schedule(() => {
        this.#cancelRetry = undefined;
        this.#open();
      }, delay);
      this.#setState('waiting');
      this.#hooks.ended?.({ ...base, retryInMs: delay, attempt: this.#attempt });
      return;
    }
    this.#finish({ ...base, retryInMs: undefined, gaveUp: retry, attempt: this.#attempt });
  }

  #finish(ended: Ended): void {
    this.#setState('closed');
    this.#hooks.ended?.(ended);
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#hooks.state?.(state);
  }
}
