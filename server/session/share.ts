/**
 * Sharing one session read-only. The owner asks `{type:'share', ttl}` and gets a watch link
 * (`{type:'shared', url, expiresAt}`); each spectator who opens it is a Viewer on the
 * session's OutputStream, after a replay of the recent output (OutputTail) so it can rebuild
 * the screen. The owner sees `{type:'viewers', count}` and may `{type:'unshare'}`.
 */
import type { WebSocket } from 'ws';
import type { ClientMessage, HelloInfo } from '../../shared/protocol.ts';
import { CloseCode } from '../../shared/protocol.ts';
import type { Logger } from '../common/log.ts';
import type { LimitsConfig } from '../config/config.ts';
import type { SharingConfig } from '../config/share-schema.ts';
import { OutputTail } from './output-tail.ts';
import type { Session, SessionExtension } from './session.ts';
import { newShareToken, type ShareRegistry } from './shares.ts';
import { Spectator } from './spectator.ts';

export interface SessionShareOptions {
  sharing: SharingConfig;
  limits: LimitsConfig;
  registry: ShareRegistry<SessionShare>;
  /** The link's address without the token: `/watch/` under basePath, absolute with publicUrl. */
  watchBase: string;
  /** Who may watch (the host's `watchers`), read by the upgrade's admission. */
  watchers: 'signed-in' | 'anyone' | { users: readonly string[]; groups: readonly string[] };
  /** The spectators' hello (host, features), without session, role and size. */
  hello: Omit<HelloInfo, 'session' | 'windowBytes'>;
  /** Put before each link's random part: the worker's cluster id under --workers (routing). */
  tokenPrefix?: string;
  log: Logger;
}

/** A shortest link: a minute. */
const MIN_TTL_SECONDS = 60;

export class SessionShare implements SessionExtension {
  readonly session: Session;
  readonly watchers: SessionShareOptions['watchers'];
  #opts: SessionShareOptions;
  #tail: OutputTail;
  #token: string | undefined;
  #expiresAt = 0;
  #spectators = new Set<Spectator>();
  #cols = 80;
  #rows = 24;
  #ended = false;

  constructor(session: Session, opts: SessionShareOptions) {
    this.session = session;
    this.watchers = opts.watchers;
    this.#opts = opts;
    this.#tail = new OutputTail(opts.sharing.replayBytes);
    session.bridge.output.attach(this.#tail);
  }

  get expiresAt(): number {
    return this.#expiresAt;
  }

  get spectatorCount(): number {
    return this.#spectators.size;
  }

  get full(): boolean {
    return this.#spectators.size >= this.#opts.sharing.maxSpectators;
  }

  // SessionExtension

  request(msg: ClientMessage): boolean {
    if (msg.type === 'share') this.#share(msg.ttl);
    else if (msg.type === 'unshare') this.#unshare('the owner stopped sharing');
    else return false;
    return true;
  }

  resize(cols: number, rows: number): void {
    if (cols === this.#cols && rows === this.#rows) return;
    this.#cols = cols;
    this.#rows = rows;
    for (const s of this.#spectators) s.send({ type: 'size', cols, rows });
  }

  /** The owner came back (resume): the link it holds still works; the count may have changed. */
  resumed(): void {
    if (this.#token !== undefined)
      this.session.sendOwner({
        type: 'shared',
        url: `${this.#opts.watchBase}${this.#token}`,
        expiresAt: this.#expiresAt,
      });
    this.#sendCount();
  }

  closed(): void {
    this.#ended = true;
    this.#revokeToken();
    for (const s of [...this.#spectators]) s.close(CloseCode.NORMAL, 'the session ended');
  }

  /** A new link, or the same link with a new expiry. */
  #share(ttlSeconds: number): void {
    if (this.#ended) return;
    const maxMs = this.#opts.sharing.maxTtl;
    const ttlMs = Math.min(Math.max(ttlSeconds, MIN_TTL_SECONDS) * 1000, maxMs);
    if (this.#token === undefined) {
      this.#token = newShareToken(this.#opts.tokenPrefix);
      this.#opts.registry.add(this.#token, this);
    }
    this.#expiresAt = Date.now() + ttlMs;
    this.#opts.log.info(
      { event: 'share.open', session: this.session.id, user: this.session.user, ttlMs },
      'session shared',
    );
    this.session.sendOwner({
      type: 'shared',
      url: `${this.#opts.watchBase}${this.#token}`,
      expiresAt: this.#expiresAt,
    });
  }

  #unshare(why: string): void {
    const had = this.#token !== undefined;
    this.#revokeToken();
    for (const s of [...this.#spectators]) s.close(CloseCode.SHARE_ENDED, why);
    if (had)
      this.#opts.log.info({ event: 'share.close', session: this.session.id, why }, 'share ended');
    this.#sendCount();
  }

  #revokeToken(): void {
    if (this.#token === undefined) return;
    this.#opts.registry.remove(this.#token);
    this.#token = undefined;
    this.#expiresAt = 0;
  }

  /** From the registry's timer: link expiry and the spectators' heartbeat. */
  tick(now: number): void {
    if (this.#token !== undefined && now >= this.#expiresAt) this.#unshare('the link expired');
    for (const s of [...this.#spectators]) s.tick(now);
  }

  /** A spectator admitted by the upgrade: hello, the recent output, then live output. */
  addSpectator(ws: WebSocket, ip: string, user: string): void {
    // Admission awaited (auth): the link may have gone or filled up meanwhile.
    const late = this.#lateRefusal();
    if (late !== undefined) {
      ws.close(late[0], late[1]);
      return;
    }
    const { limits, sharing, log } = this.#opts;
    const spectator = new Spectator(ws, {
      session: this.session.id,
      ip,
      user,
      bufferBytes: sharing.spectatorBufferBytes,
      closeTimeoutMs: limits.closeTimeout,
      heartbeatIntervalMs: limits.heartbeatInterval,
      heartbeatTimeoutMs: limits.heartbeatTimeout,
      maxMessagesPerSecond: limits.maxMessagesPerSecond,
      log,
      gone: (s) => this.#remove(s),
    });
    // A spectator may not share in turn: the owner's `share` flag stays with the owner.
    const { share: _owner, ...hello } = this.#opts.hello;
    spectator.send({
      type: 'hello',
      ...hello,
      session: this.session.id,
      windowBytes: limits.highWaterBytes,
      role: 'spectator',
      size: { cols: this.#cols, rows: this.#rows },
    });
    spectator.send({ type: 'status', state: 'connected' });
    // Replay and attach in one turn: no byte between them is lost or doubled.
    spectator.sendBytes(this.#tail.snapshot());
    this.#spectators.add(spectator);
    this.session.bridge.output.attach(spectator);
    log.info(
      { event: 'spectator.open', session: this.session.id, ip, user, count: this.#spectators.size },
      'spectator joined',
    );
    this.#sendCount();
  }

  #lateRefusal(): [number, string] | undefined {
    if (this.#ended) return [CloseCode.NORMAL, 'the session ended'];
    if (this.#token === undefined) return [CloseCode.SHARE_ENDED, 'the owner stopped sharing'];
    if (this.full) return [CloseCode.TRY_AGAIN_LATER, 'too many spectators'];
    return undefined;
  }

  #remove(spectator: Spectator): void {
    if (!this.#spectators.delete(spectator)) return;
    this.session.bridge.output.detach(spectator);
    this.#opts.log.info(
      { event: 'spectator.close', session: this.session.id, count: this.#spectators.size },
      'spectator left',
    );
    if (!this.#ended) this.#sendCount();
  }

  #sendCount(): void {
    this.session.sendOwner({ type: 'viewers', count: this.#spectators.size });
  }
}
