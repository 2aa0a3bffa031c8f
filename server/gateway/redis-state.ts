/**
 * The gate's shared counters in Redis or Valkey (`store.url`, via ioredis), so that every
 * instance enforces one lockout, one upgrade rate and one session count per address and
 * per user. Each check-and-change is one Lua script (atomic in the store).
 *
 * Session slots are sorted-set members scored with an expiry that the holding instance
 * renews every `slotTtl / 3`: an instance that dies stops renewing, and its slots are gone
 * within `slotTtl`. A store that restarts empty is refilled by the next renewal.
 *
 * Failures: commands fail fast (no offline queue, `store.timeout`). With `onError: closed`
 * a check that cannot reach the store refuses (StoreUnavailable, 503); with `local` it is
 * answered by this instance's own memory. Releasing and renewing never throw: live
 * sessions do not notice the store blinking.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../common/log.ts';
import type { StoreConfig } from '../config/store-schema.ts';
import type { SessionDirectory } from './ipc-sessions.ts';
import { RedisInstances } from './redis-instances.ts';
import { BUCKET, RESERVE, SETTLE, SLOT } from './redis-scripts.ts';
import { RedisSessions } from './redis-sessions.ts';
import {
  MemoryState,
  type MemoryStateOptions,
  type SessionSlot,
  type SharedState,
  type SlotLimits,
  type SlotRefusal,
  StoreUnavailable,
} from './shared-state.ts';

const FAILURE_WINDOW_MS = 60_000;
const INFLIGHT_TTL_MS = 60_000;
/** Members per ZADD when renewing: bounds one command's size (and the store's time on it). */
const RENEW_CHUNK = 1000;

interface Held {
  ipSet: string;
  userSet: string | undefined;
  member: string;
}

type ScriptRedis = Redis & {
  reserve(...args: (string | number)[]): Promise<number>;
  settle(...args: (string | number)[]): Promise<number>;
  bucket(...args: (string | number)[]): Promise<number>;
  slot(...args: (string | number)[]): Promise<string>;
};

/** The URL for messages: a password in it is never shown. */
export function redactStoreUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

export class RedisState implements SharedState {
  readonly #config: StoreConfig;
  readonly #local: MemoryState;
  readonly #opts: MemoryStateOptions;
  readonly #log: Logger;
  readonly #redis: ScriptRedis;
  readonly #instance = randomUUID();
  readonly #held = new Set<Held>();
  #renewTimer: NodeJS.Timeout | undefined;
  #healthy = true;
  #sessions: RedisSessions | undefined;
  #instances: RedisInstances | undefined;

  constructor(config: StoreConfig, opts: MemoryStateOptions, log: Logger) {
    this.#config = config;
    this.#opts = opts;
    this.#local = new MemoryState(opts);
    this.#log = log;
    this.#redis = new Redis(config.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: config.timeout,
      connectTimeout: Math.max(config.timeout, 2000),
      retryStrategy: (times) => Math.min(times * 200, 2000),
    }) as ScriptRedis;
    this.#redis.defineCommand('reserve', { numberOfKeys: 3, lua: RESERVE });
    this.#redis.defineCommand('settle', { numberOfKeys: 3, lua: SETTLE });
    this.#redis.defineCommand('bucket', { numberOfKeys: 1, lua: BUCKET });
    this.#redis.defineCommand('slot', { numberOfKeys: 2, lua: SLOT });
    // Without a listener ioredis prints every reconnect failure; #fallback logs state changes.
    this.#redis.on('error', () => {});
    this.#redis.on('ready', () => this.#recovered());
  }

  async start(): Promise<void> {
    try {
      await this.#redis.connect();
      await this.#redis.ping();
    } catch (err) {
      this.#redis.disconnect();
      throw new Error(
        `store ${redactStoreUrl(this.#config.url)} is unreachable: ${(err as Error).message}`,
      );
    }
    await this.#sessions?.start();
    await this.#instances?.start();
    const every = Math.max(100, Math.floor(this.#config.slotTtl / 3));
    this.#renewTimer = setInterval(() => this.#renew(), every);
    this.#renewTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#renewTimer);
    await this.#sessions?.close();
    await this.#instances?.close();
    // quit() lets the releases of the sessions just closed reach the store first.
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  /** The admin view across instances (see redis-sessions.ts); call before start(). */
  shareSessions(local: SessionDirectory): SessionDirectory {
    const opts = {
      prefix: this.#config.prefix,
      ttl: this.#config.slotTtl,
      instance: this.#instance,
      log: this.#log,
    };
    this.#sessions = new RedisSessions(this.#redis, opts, local);
    return this.#sessions.directory();
  }

  /** Where every instance can be reached (see redis-instances.ts); call before start(). */
  instances(instanceId: string): RedisInstances {
    this.#instances = new RedisInstances(this.#redis, {
      prefix: this.#config.prefix,
      ttl: this.#config.slotTtl,
      instance: instanceId,
      log: this.#log,
    });
    return this.#instances;
  }

  #k(kind: string, key: string): string {
    return `${this.#config.prefix}${kind}:${key}`;
  }

  #lockKeys(key: string): [string, string, string] {
    return [this.#k('ban', key), this.#k('fails', key), this.#k('inflight', key)];
  }

  /** Runs `op` on the store; on failure, `local` (onError: local) or StoreUnavailable. */
  async #guard<T>(op: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    try {
      const result = await op();
      if (!this.#healthy) this.#recovered();
      return result;
    } catch (err) {
      if (this.#healthy) {
        this.#healthy = false;
        this.#log.error(
          { event: 'store.lost', onError: this.#config.onError, detail: (err as Error).message },
          this.#config.onError === 'local'
            ? 'store unreachable: limits are per instance until it is back'
            : 'store unreachable: new sessions and logins are refused until it is back',
        );
      }
      if (this.#config.onError === 'local') return local();
      throw new StoreUnavailable('store unreachable');
    }
  }

  #recovered(): void {
    if (this.#healthy) return;
    this.#healthy = true;
    this.#log.info({ event: 'store.back' }, 'store reachable again');
    this.#renew();
  }

  async bannedFor(key: string): Promise<number> {
    return this.#guard(
      async () => Math.max(0, Math.ceil((await this.#redis.pttl(this.#k('ban', key))) / 1000)),
      () => this.#local.bannedFor(key),
    );
  }

  async reserveAttempt(key: string): Promise<boolean> {
    const args = [Date.now(), FAILURE_WINDOW_MS, this.#opts.authFailures, INFLIGHT_TTL_MS];
    return this.#guard(
      async () => (await this.#redis.reserve(...this.#lockKeys(key), ...args)) === 1,
      () => this.#local.reserveAttempt(key),
    );
  }

  async settleAttempt(key: string, failed: boolean): Promise<void> {
    await this.#settle(key, true, failed).catch(() => this.#local.settleAttempt(key, failed));
  }

  async recordFailure(key: string): Promise<void> {
    await this.#settle(key, false, true).catch(() => this.#local.recordFailure(key));
  }

  async #settle(key: string, reserved: boolean, failed: boolean): Promise<void> {
    const args = [Date.now(), FAILURE_WINDOW_MS, this.#opts.authFailures, this.#opts.authLockoutMs];
    await this.#redis.settle(
      ...this.#lockKeys(key),
      ...args,
      reserved ? '1' : '0',
      failed ? '1' : '0',
      randomUUID(),
    );
  }

  async takeUpgrade(key: string): Promise<number> {
    return this.#bucket(key, true, () => this.#local.takeUpgrade(key));
  }

  async peekUpgrade(key: string): Promise<number> {
    return this.#bucket(key, false, () => this.#local.peekUpgrade(key));
  }

  #bucket(key: string, take: boolean, local: () => Promise<number>): Promise<number> {
    const perMs = this.#opts.upgradesPerMinute / 60_000;
    return this.#guard(
      () =>
        this.#redis.bucket(
          this.#k('bucket', key),
          Date.now(),
          perMs,
          this.#opts.upgradeBurst,
          take ? '1' : '0',
        ),
      local,
    );
  }

  async acquireSlot(
    ipKey: string,
    user: string,
    limits: SlotLimits,
  ): Promise<SessionSlot | SlotRefusal> {
    const held: Held = {
      ipSet: this.#k('ip', ipKey),
      userSet: user === 'anonymous' ? undefined : this.#k('user', user),
      member: `${this.#instance}:${randomUUID()}`,
    };
    const answer = await this.#guard<string | SessionSlot>(
      () => this.#slot(held, limits, true),
      async () => this.#local.acquireSlot(ipKey, user, limits),
    );
    if (typeof answer !== 'string') return answer;
    if (answer !== 'ok') return answer as SlotRefusal;
    this.#held.add(held);
    return { release: () => this.#release(held) };
  }

  async peekSlot(ipKey: string, user: string, limits: SlotLimits) {
    const held: Held = {
      ipSet: this.#k('ip', ipKey),
      userSet: user === 'anonymous' ? undefined : this.#k('user', user),
      member: '',
    };
    const answer = await this.#guard(
      () => this.#slot(held, limits, false),
      async () => (await this.#local.peekSlot(ipKey, user, limits)) ?? 'ok',
    );
    return answer === 'ok' ? undefined : (answer as SlotRefusal);
  }

  #slot(held: Held, limits: SlotLimits, take: boolean): Promise<string> {
    const now = Date.now();
    return this.#redis.slot(
      held.ipSet,
      held.userSet ?? this.#k('user', '-'),
      now,
      now + this.#config.slotTtl,
      held.member,
      limits.perIp,
      limits.perUser,
      held.userSet === undefined ? '0' : '1',
      take ? '1' : '0',
      this.#config.slotTtl * 2,
    );
  }

  #release(held: Held): void {
    if (!this.#held.delete(held)) return;
    const p = this.#redis.multi().zrem(held.ipSet, held.member);
    if (held.userSet !== undefined) p.zrem(held.userSet, held.member);
    // A slot the store did not hear about expires within slotTtl: nothing else to do.
    p.exec().catch(() => {});
  }

  /** Pushes every held slot's expiry forward (and re-adds it after a store restart). */
  #renew(): void {
    this.#sessions?.publish();
    this.#instances?.publish();
    if (this.#held.size === 0) return;
    const until = Date.now() + this.#config.slotTtl;
    // Grouped by set (an address or a user): sessions from a few addresses cost a few
    // commands per renewal, not two each (9 900 held sessions: 19 800 commands in one
    // pipeline, some 10 MB of transient command objects every slotTtl / 3).
    const bySet = new Map<string, (string | number)[]>();
    const add = (set: string, member: string): void => {
      const args = bySet.get(set) ?? [];
      if (args.length === 0) bySet.set(set, args);
      args.push(until, member);
    };
    for (const h of this.#held) {
      add(h.ipSet, h.member);
      if (h.userSet !== undefined) add(h.userSet, h.member);
    }
    const p = this.#redis.pipeline();
    for (const [set, args] of bySet) {
      for (let i = 0; i < args.length; i += RENEW_CHUNK * 2)
        p.zadd(set, ...args.slice(i, i + RENEW_CHUNK * 2));
      p.pexpire(set, this.#config.slotTtl * 2);
    }
    p.exec().catch(() => {});
  }
}
