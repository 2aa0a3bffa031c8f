/**
 * One session: a backend bridge (bridge.ts) and the owner's browser connection
 * (connection.ts), joined through the bridge's OutputStream (output.ts). The session holds
 * identity and the single teardown with its audit line; the registry's shared tick drives
 * heartbeat and limits. It knows nothing of telnet: a Codec, when present, does that.
 */
import type { WebSocket } from 'ws';
import type {
  ClientMessage,
  HelloInfo,
  ServerMessage,
  Subprotocol,
} from '../../shared/protocol.ts';
import { clampReason, SUBPROTOCOL } from '../../shared/protocol.ts';
import type { Codec } from '../codec/codec.ts';
import type { Logger } from '../common/log.ts';
import type { LimitsConfig } from '../config/config.ts';
import type { BackendStream } from './backend-stream.ts';
import { Bridge, Hold } from './bridge.ts';
import { BrowserConnection, type ConnectionHost } from './connection.ts';

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
  /** Connects to the backend (a TCP or TLS socket, an SSH channel, ...); rejects with BackendError. */
  dial: (signal: AbortSignal) => Promise<BackendStream>;
  /** Called once the backend is connected, with the latest terminal size; undefined = raw byte bridge. */
  createCodec: ((cols: number, rows: number) => Codec | undefined) | undefined;
  /** Called exactly once, after teardown. */
  onClose: (session: Session) => void;
  onMssp?: (vars: Record<string, string[]>) => void;
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
  /** The session ended (called once, after the owner's close). */
  closed(code: number, reason: string): void;
}

export interface SessionStats {
  bytesDown: number;
  bytesUp: number;
}

type State = 'connecting' | 'open' | 'closed';

export class Session implements ConnectionHost {
  readonly id: string;
  readonly clientIp: string;
  readonly user: string;
  readonly hostId: string;
  readonly startedAt: number;
  readonly stats: SessionStats;
  /** The backend side; its `output` is where viewers attach. */
  readonly bridge: Bridge;
  #opts: SessionOptions;
  #owner: BrowserConnection;
  #closed = false;
  #closeCode = 0;
  #closeReason = '';
  #extensions: SessionExtension[] = [];
  /** Only extensions that want keystrokes; empty for almost every session (no cost per input). */
  #inputTaps: SessionExtension[] = [];

  constructor(opts: SessionOptions) {
    this.#opts = opts;
    this.id = opts.id;
    this.clientIp = opts.clientIp;
    this.user = opts.user;
    this.hostId = opts.hello.host.id;
    const { limits } = opts;
    this.bridge = new Bridge({
      id: opts.id,
      log: opts.log,
      bufferCapBytes: limits.sessionBufferCapBytes,
      closeTimeoutMs: limits.closeTimeout,
      expiresAt: opts.expiresAt,
      idleTimeoutMs: opts.idleTimeoutMs,
      maxSessionMs: opts.maxSessionMs,
      dial: opts.dial,
      createCodec: opts.createCodec,
      onMssp: opts.onMssp,
      events: {
        connected: () => this.#owner.send({ type: 'status', state: 'connected' }),
        inputFlow: (open) => this.#owner.inputFlow(open),
        end: (code, reason, cause) => this.close(code, reason, cause),
      },
    });
    this.startedAt = this.bridge.startedAt;
    this.stats = this.bridge.stats;
    const owner = new BrowserConnection(opts.ws, opts.mode === SUBPROTOCOL, this, limits, opts.log);
    this.#owner = owner;
    owner.send({
      type: 'hello',
      ...opts.hello,
      session: this.id,
      windowBytes: limits.highWaterBytes,
    });
    owner.send({ type: 'status', state: 'connecting' });
    this.bridge.output.attach(owner);
    void this.bridge.connect();
  }

  get state(): State {
    return this.#closed ? 'closed' : this.bridge.state;
  }

  /** Bytes this session holds in memory on the browser side and the backend side. */
  get bufferedBytes(): number {
    return this.#owner.bufferedAmount + this.bridge.bufferedBytes;
  }

  get closeCode(): number {
    return this.#closeCode;
  }

  get closeReason(): string {
    return this.#closeReason;
  }

  // ConnectionHost: what the owner's connection asks of the session.

  input(data: Buffer): void {
    this.bridge.input(data);
    const taps = this.#inputTaps;
    for (let i = 0; i < taps.length; i++) taps[i]?.input?.(data);
  }

  control(msg: ClientMessage): void {
    if (msg.type === 'resize') {
      this.bridge.resize(msg.cols, msg.rows);
      for (const ext of this.#extensions) ext.resize?.(msg.cols, msg.rows);
    } else if (msg.type === 'gmcp') this.bridge.gmcp(msg.package, msg.data);
    else if (msg.type === 'msdp') this.bridge.msdp(msg.data);
    else if (!this.#extensions.some((ext) => ext.request?.(msg) === true)) this.#unhandled(msg);
  }

  /** A valid message this host does not offer (e.g. `share` without `share: true`). */
  #unhandled(msg: ClientMessage): void {
    this.#owner.send({
      type: 'error',
      code: `${msg.type}-unavailable`,
      message: `This host does not allow ${msg.type}.`,
    });
  }

  /** Adds sharing or recording to this session (before the backend sends its first byte). */
  extend(ext: SessionExtension): void {
    this.#extensions.push(ext);
    if (ext.input !== undefined) this.#inputTaps.push(ext);
  }

  /** A control message to the owner's browser (viewer counts, share links). */
  sendOwner(msg: ServerMessage): void {
    this.#owner.send(msg);
  }

  touch(): void {
    this.bridge.touch();
  }

  holdBackend(on: boolean): void {
    this.bridge.hold(Hold.OWNER, on);
  }

  get backendOpen(): boolean {
    return this.bridge.state === 'open';
  }

  lost(code: number, reason: string, cause: string): void {
    this.#finish(code, reason, cause);
  }

  /** Called by the registry's shared timer: heartbeat, idle and lifetime limits. */
  tick(now: number): void {
    if (this.#closed) return;
    this.#owner.tickRates();
    if (!this.bridge.tickStart(now)) return;
    if (!this.#owner.tickHeartbeat(now)) return;
    this.bridge.tickLimits(now);
  }

  /** Ends the session: close frame to the browser, FIN to the backend, exactly once. */
  close(code: number, reason: string, cause: string): void {
    if (this.#finish(code, reason, cause)) this.#owner.close(code, reason);
  }

  /** Single teardown. Returns false if the session had already finished. */
  #finish(code: number, reason: string, cause: string): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    this.#closeCode = code;
    this.#closeReason = reason;
    this.#owner.markClosed();
    this.bridge.shutdown();
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
    for (const ext of this.#extensions) ext.closed(code, reason);
    this.#opts.onClose(this);
    return true;
  }
}
