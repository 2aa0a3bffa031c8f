/**
 * One session: a backend bridge (bridge.ts) and the owner's browser connection
 * (connection.ts), joined through the bridge's OutputStream (output.ts). The session holds
 * identity and the single teardown with its audit line; the registry's shared tick drives
 * heartbeat and limits. It knows nothing of telnet: a Codec, when present, does that.
 */
import type { WebSocket } from 'ws';
import type { ClientMessage, ServerMessage } from '../../shared/protocol.ts';
import { CloseCode, clampReason, SUBPROTOCOL } from '../../shared/protocol.ts';
import { Bridge, Hold } from './bridge.ts';
import { BrowserConnection, type ConnectionHost } from './connection.ts';
import { ReplayRing } from './replay-ring.ts';
import {
  buildHello,
  type SessionExtension,
  type SessionOptionsOf,
  type SessionResume,
  type SessionStats,
} from './session-types.ts';

export type { SessionExtension, SessionResume, SessionStats } from './session-types.ts';
export type SessionOptions = SessionOptionsOf<Session>;

type State = 'connecting' | 'open' | 'closed';

const NO_EXTENSIONS: readonly SessionExtension[] = [];

export class Session implements ConnectionHost {
  readonly id: string;
  readonly clientIp: string;
  readonly user: string;
  readonly hostId: string;
  readonly startedAt: number;
  readonly stats: SessionStats;
  /** The backend side; its `output` is where viewers attach. */
  readonly bridge: Bridge;
  /** Without `ws`: kept here, the first browser's WebSocket (with its socket, receiver and
   * sender, about 2.5 KB) outlived it in every detached and every resumed session. */
  #opts: Omit<SessionOptions, 'ws'>;
  /** The owner's browser; undefined while detached (waiting for a resume). */
  #owner: BrowserConnection | undefined;
  /** Resumable sessions only: what a returning browser may have missed. */
  #ring: ReplayRing | undefined;
  /** Set for porthole.v1 sessions on hosts with resume on. */
  #resume: SessionResume | undefined;
  #detachedAt = 0;
  #closed = false;
  #closeCode = 0;
  #closeReason = '';
  /** Replaced, never mutated; most sessions keep the shared empty one (no array each). */
  #extensions: readonly SessionExtension[] = NO_EXTENSIONS;
  /** Only extensions that want keystrokes; empty for almost every session (no cost per input). */
  #inputTaps: readonly SessionExtension[] = NO_EXTENSIONS;

  constructor({ ws, ...opts }: SessionOptions) {
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
        connected: () => this.#owner?.send({ type: 'status', state: 'connected' }),
        inputFlow: (open) => this.#owner?.inputFlow(open),
        end: (code, reason, cause) => this.close(code, reason, cause),
      },
    });
    this.startedAt = this.bridge.startedAt;
    this.stats = this.bridge.stats;
    const v1 = opts.mode === SUBPROTOCOL;
    const resume = v1 ? opts.resume : undefined;
    this.#resume = resume;
    const owner = new BrowserConnection(ws, v1, this, limits, opts.log);
    this.#owner = owner;
    owner.send(this.#hello(undefined));
    owner.send({ type: 'status', state: 'connecting' });
    this.bridge.output.attach(owner);
    if (resume !== undefined) {
      // After the owner: when the ring sees a chunk, the owner has counted it as unacked.
      this.#ring = new ReplayRing(
        resume.bufferBytes,
        (full) => this.bridge.hold(Hold.RING, full),
        () => this.bridge.output.offset - (this.#owner?.unacked ?? 0),
      );
      this.bridge.output.attach(this.#ring);
    }
    void this.bridge.connect();
  }

  /** The token a browser presents to resume this session (undefined: not resumable). */
  get resumeToken(): string | undefined {
    return this.#resume?.token;
  }

  /** True while no browser is attached and the backend is held for a resume. */
  get detached(): boolean {
    return this.#detachedAt !== 0;
  }

  #hello(resumed: { from: number; gap: boolean } | undefined): ServerMessage {
    return buildHello(this.#opts, this.id, this.#resume, resumed);
  }

  get state(): State {
    return this.#closed ? 'closed' : this.bridge.state;
  }

  /** Bytes this session holds in memory on the browser side and the backend side. */
  get bufferedBytes(): number {
    return (this.#owner?.bufferedAmount ?? 0) + this.bridge.bufferedBytes;
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
    else if (msg.type === 'end') this.close(CloseCode.NORMAL, 'session ended', 'end');
    else if (!this.#extensions.some((ext) => ext.request?.(msg) === true)) this.#unhandled(msg);
  }

  /** A valid message this host does not offer (e.g. `share` without `share: true`). */
  #unhandled(msg: ClientMessage): void {
    this.#owner?.send({
      type: 'error',
      code: `${msg.type}-unavailable`,
      message: `This host does not allow ${msg.type}.`,
    });
  }

  /** Adds sharing or recording to this session (before the backend sends its first byte). */
  extend(ext: SessionExtension): void {
    this.#extensions = [...this.#extensions, ext];
    if (ext.input !== undefined) this.#inputTaps = [...this.#inputTaps, ext];
  }

  /** A control message to the owner's browser (viewer counts, share links). */
  sendOwner(msg: ServerMessage): void {
    this.#owner?.send(msg);
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

  /**
   * The owner's WebSocket is gone. A resumable session keeps its backend (detaches) unless
   * the browser ended it on purpose (close code 1000; `{type:'end'}` closes before this).
   */
  lost(conn: BrowserConnection, code: number, reason: string, cause: string): void {
    if (conn !== this.#owner) return; // a connection we already let go of
    if (this.#ring !== undefined && code !== CloseCode.NORMAL && !this.#closed) {
      this.#detach(conn, code, cause);
    } else this.#finish(code, reason, cause);
  }

  #detach(conn: BrowserConnection, code: number, cause: string): void {
    this.#let(conn);
    // What the browser has not acknowledged may not have reached it: keep it for the replay.
    this.#ring?.protect(this.bridge.output.offset - conn.unacked);
    this.#detachedAt = Date.now();
    const holdSeconds = Math.round((this.#opts.resume?.holdMs ?? 0) / 1000);
    this.#opts.log.info(
      {
        event: 'session.detach',
        session: this.id,
        ip: this.clientIp,
        user: this.user,
        code,
        cause,
        holdSeconds,
      },
      'session detached: backend held for a resume',
    );
    this.#opts.onDetach?.(this, true);
  }

  /** Lets a connection go: no more output, no more holds, its messages ignored. */
  #let(conn: BrowserConnection): void {
    this.bridge.output.detach(conn);
    conn.markClosed();
    if (this.#owner === conn) this.#owner = undefined;
    this.bridge.hold(Hold.OWNER, false);
  }

  /**
   * A browser resumes (resume.ts has checked the token and the user): it gets the output
   * after `from`, the terminal state, then live output. A browser still attached is taken
   * over (4023). Returns false when `from` is past the output (nothing is changed then).
   */
  attach(ws: WebSocket, from: number, ip: string): boolean {
    const ring = this.#ring;
    const replay = ring?.replay(from);
    if (ring === undefined || replay === undefined || this.#closed) return false;
    const old = this.#owner;
    if (old !== undefined) {
      this.#let(old);
      old.close(CloseCode.TAKEN_OVER, 'resumed elsewhere');
    }
    const conn = new BrowserConnection(ws, true, this, this.#opts.limits, this.#opts.log);
    this.#owner = conn;
    conn.send(this.#hello(replay));
    conn.send({ type: 'status', state: this.bridge.state === 'open' ? 'connected' : 'connecting' });
    let bytes = 0;
    for (const chunk of replay.chunks) {
      conn.data(chunk, 0);
      bytes += chunk.length;
    }
    for (const msg of ring.state()) conn.control(msg);
    this.bridge.output.detach(ring);
    this.bridge.output.attach(conn);
    this.bridge.output.attach(ring);
    ring.release();
    for (const ext of this.#extensions) ext.resumed?.();
    const detachedMs = this.#detachedAt === 0 ? 0 : Date.now() - this.#detachedAt;
    const wasDetached = this.#detachedAt !== 0;
    this.#detachedAt = 0;
    this.#opts.log.info(
      {
        event: 'session.resume',
        session: this.id,
        ip,
        user: this.user,
        from: replay.from,
        gap: replay.gap,
        replayed: bytes,
        detachedMs,
        takeover: old !== undefined,
      },
      'session resumed',
    );
    if (wasDetached) this.#opts.onDetach?.(this, false);
    return true;
  }

  /** Called by the registry's shared timer: heartbeat, idle, lifetime and hold limits. */
  tick(now: number): void {
    if (this.#closed) return;
    const owner = this.#owner;
    owner?.tickRates();
    if (!this.bridge.tickStart(now)) return;
    if (owner !== undefined) {
      if (!owner.tickHeartbeat(now)) return;
    } else if (
      this.#detachedAt !== 0 &&
      now - this.#detachedAt >= (this.#opts.resume?.holdMs ?? 0)
    ) {
      this.close(CloseCode.GOING_AWAY, 'not resumed in time', 'resume-expired');
      return;
    }
    this.bridge.tickLimits(now);
  }

  /** Ends the session: close frame to the browser, FIN to the backend, exactly once. */
  close(code: number, reason: string, cause: string): void {
    if (this.#finish(code, reason, cause)) this.#owner?.close(code, reason);
  }

  /** Single teardown. Returns false if the session had already finished. */
  #finish(code: number, reason: string, cause: string): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    this.#closeCode = code;
    this.#closeReason = reason;
    this.#owner?.markClosed();
    if (this.#detachedAt !== 0) this.#opts.onDetach?.(this, false);
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
