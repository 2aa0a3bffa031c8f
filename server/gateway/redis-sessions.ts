/**
 * The admin view across instances (a `store`): each instance keeps its session summaries
 * under `PREFIX sessions:INSTANCE` with a TTL of `slotTtl`, rewritten on the store's renewal
 * timer (every slotTtl / 3), so a dead instance's list disappears within slotTtl; the sorted
 * set `PREFIX sessions` indexes those keys by expiry (no SCAN of the keyspace per request).
 * The list is this instance's live sessions plus the others' last summaries (up to
 * slotTtl / 3 old); a DELETE for a session elsewhere goes out on `PREFIX admin-end`. A store
 * that does not answer leaves the others out; this instance's sessions are still listed.
 */
import type { Redis } from 'ioredis';
import type { AdminSession } from '../../shared/api.ts';
import type { Logger } from '../common/log.ts';
import type { SessionDirectory } from './ipc-sessions.ts';

/** Other instances read at most (a bound on one admin request's work). */
const MAX_INSTANCES = 256;

export class RedisSessions {
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #prefix: string;
  readonly #ttl: number;
  readonly #key: string;
  readonly #index: string;
  readonly #local: SessionDirectory;
  readonly #log: Logger;

  constructor(
    redis: Redis,
    opts: { prefix: string; ttl: number; instance: string; log: Logger },
    local: SessionDirectory,
  ) {
    this.#redis = redis;
    this.#prefix = opts.prefix;
    this.#ttl = opts.ttl;
    this.#key = `${opts.prefix}sessions:${opts.instance}`;
    this.#index = `${opts.prefix}sessions`;
    this.#local = local;
    this.#log = opts.log;
    // Subscribing takes a connection of its own (RESP2).
    this.#sub = redis.duplicate();
    this.#sub.on('error', () => {});
    this.#sub.on('message', (_channel: string, id: string) => {
      void this.#local.end(id);
    });
  }

  async start(): Promise<void> {
    // The copy keeps lazyConnect and no offline queue: connect before subscribing.
    await this.#sub.connect();
    await this.#sub.subscribe(`${this.#prefix}admin-end`);
    this.publish();
  }

  async close(): Promise<void> {
    await this.#redis
      .multi()
      .del(this.#key)
      .zrem(this.#index, this.#key)
      .exec()
      .catch(() => {});
    await this.#sub.quit().catch(() => this.#sub.disconnect());
  }

  /** Writes this instance's summaries (called on the renewal timer); never throws. */
  publish(): void {
    void this.#local
      .list()
      .then((list) => {
        const now = Date.now();
        return this.#redis
          .multi()
          .set(this.#key, JSON.stringify(list), 'PX', this.#ttl)
          .zadd(this.#index, now + this.#ttl, this.#key)
          .zremrangebyscore(this.#index, '-inf', now)
          .exec();
      })
      .catch(() => {});
  }

  /** Every other instance's last summaries (none when the store does not answer). */
  async #others(): Promise<AdminSession[]> {
    const live = await this.#redis.zrangebyscore(
      this.#index,
      Date.now(),
      '+inf',
      'LIMIT',
      0,
      MAX_INSTANCES + 1,
    );
    const keys = live.filter((k) => k !== this.#key).slice(0, MAX_INSTANCES);
    if (keys.length === 0) return [];
    const values = await this.#redis.mget(...keys);
    return values.flatMap((v) => {
      try {
        const parsed: unknown = v === null ? [] : JSON.parse(v);
        return Array.isArray(parsed) ? (parsed as AdminSession[]) : [];
      } catch {
        return [];
      }
    });
  }

  /** The admin API's view: this instance live, the others from the store. */
  directory(): SessionDirectory {
    return {
      list: async () => [...(await this.#local.list()), ...(await this.#others().catch(() => []))],
      end: async (id) => {
        if (await this.#local.end(id)) return true;
        const elsewhere = (await this.#others()).some((s) => s.id === id);
        if (!elsewhere) return false;
        await this.#redis.publish(`${this.#prefix}admin-end`, id);
        this.#log.info({ event: 'admin.end-remote', session: id }, 'end sent to other instances');
        return true;
      },
    };
  }
}
