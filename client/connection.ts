/**
 * One Porthole session as the browser sees it: the WebSocket lifecycle, acknowledgements
 * for flow control (DESIGN.md §3), latency probes, and reconnecting after unexpected drops.
 * DOM-free: the socket, the terminal and the clock are injected, so it runs under node:test.
 */
import { AckBatcher } from '../shared/flow-control.ts';
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

/** What `GET /api/hosts/:id` said when a handshake was refused (browsers only report 1006). */
export type ProbeResult = 'unknown-host' | 'exists' | 'unreachable';

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
}

export interface ConnectionHooks {
  state?(state: ConnectionState): void;
  hello?(hello: HelloInfo): void;
  echo?(local: boolean): void;
  prompt?(): void;
  gmcp?(pkg: string, data: unknown): void;
  latency?(ms: number): void;
  ended?(ended: Ended): void;
  serverError?(code: string, message: string): void;
  /** Bytes moved (either way): for a throttled byte counter. */
  traffic?(): void;
}

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
  refused:
    'The server would not open a session: it may be busy, or this page is not allowed to connect.',
  unreachable: 'Cannot reach the Porthole server. Check your connection.',
  stalled: 'The server stopped answering.',
  deliberate: 'You disconnected.',
} as const;

/** A drop after this long connected starts the backoff from the first step again. */
const STABLE_AFTER_MS = 10_000;
/** Pings unanswered for this many intervals mean the network is gone even if the socket says open. */
const STALL_INTERVALS = 3;

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
  #lastPongAt = 0;
  #size: { cols: number; rows: number } | undefined;
  #hello: HelloInfo | undefined;
  #latencyMs: number | undefined;
  #bytesDown = 0;
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
    this.#drop();
    this.#open();
  }

  /** Ends the session on the user's request: no reconnect. */
  close(): void {
    if (this.#state === 'idle' || this.#state === 'closed') return;
    this.#cancelRetry?.();
    this.#cancelRetry = undefined;
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
    this.#transport.send(bytes);
    this.#bytesUp += bytes.length;
    this.#hooks.traffic?.();
    return true;
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

  #open(): void {
    const gen = ++this.#generation;
    const live = (): boolean => gen === this.#generation;
    this.#opened = false;
    this.#acks.flush();
    this.#writesInFlight = 0;
    this.#setState('opening');
    try {
      this.#transport = this.#opts.transport(this.#opts.url, [SUBPROTOCOL], {
        open: () => live() && this.#onOpen(),
        text: (data) => live() && this.#onText(data),
        binary: (data) => live() && this.#onBinary(gen, data),
        close: (code, reason) => live() && this.#onClose(code, reason),
      });
    } catch {
      this.#transport = undefined;
      this.#onClose(CloseCode.ABNORMAL, '');
    }
  }

  #onOpen(): void {
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
  }

  #onControl(msg: ServerMessage): void {
    switch (msg.type) {
      case 'hello': {
        const { type: _type, ...hello } = msg;
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
        return;
      case 'pong':
        this.#lastPongAt = this.#clock.now();
        this.#latencyMs = Math.max(0, Math.round(this.#clock.now() - msg.t));
        this.#hooks.latency?.(this.#latencyMs);
        return;
      case 'error':
        this.#hooks.serverError?.(msg.code, msg.message);
        return;
    }
  }

  #onBinary(gen: number, bytes: Uint8Array): void {
    const n = bytes.length;
    this.#bytesDown += n;
    this.#hooks.traffic?.();
    this.#writesInFlight++;
    this.#opts.sink.write(bytes, () => this.#written(gen, n));
  }

  /** xterm has parsed n bytes: acknowledge in batches, and everything once writes go idle. */
  #written(gen: number, n: number): void {
    if (gen !== this.#generation) return;
    this.#writesInFlight--;
    let bytes = this.#acks.processed(n);
    if (bytes === 0 && this.#writesInFlight === 0) bytes = this.#acks.flush();
    if (bytes > 0) this.#control({ type: 'ack', bytes });
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

  /** Forgets the current socket (closing it if still open) without reporting anything. */
  #drop(): void {
    this.#generation++;
    this.#cancelPing?.();
    this.#cancelPing = undefined;
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
    this.#cancelPing?.();
    this.#cancelPing = undefined;
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
    const info = describeClose(code);
    const sentence = reason === Sentences.stalled ? Sentences.stalled : info.sentence;
    this.#ended(code, reason === Sentences.stalled ? '' : reason, sentence, info.retry);
  }

  #afterProbe(result: ProbeResult): void {
    switch (result) {
      case 'unknown-host':
        this.#ended(CloseCode.ABNORMAL, '', Sentences.unknownHost, false);
        return;
      case 'exists':
        this.#ended(CloseCode.ABNORMAL, '', Sentences.refused, true);
        return;
      case 'unreachable':
        this.#ended(CloseCode.ABNORMAL, '', Sentences.unreachable, true);
        return;
    }
  }

  #ended(code: number, reason: string, sentence: string, retry: boolean): void {
    const now = this.#clock.now();
    if (this.#connectedAt !== undefined && now - this.#connectedAt >= STABLE_AFTER_MS) {
      this.#attempt = 0;
    }
    this.#connectedAt = undefined;
    const base = { code, reason, sentence, deliberate: false, gaveUp: false };
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
