/**
 * Where each instance can be reached (a `store` with `store.advertise`): an instance keeps
 * its address under `PREFIX instance:ID` with a TTL of `slotTtl`, rewritten on the store's
 * renewal timer and deleted on close, so an instance that died is forgotten within slotTtl.
 * The store also holds the key that signs a relayed request's client address
 * (forwarded-for.ts): drawn at random by the first instance (SET NX), read by every other,
 * and put back by the next renewal if the store restarted empty.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../common/log.ts';

export interface InstanceDirectory {
  /** This instance's id (its tokens start with it). */
  readonly self: string;
  /** The address (`host:port`) an instance advertised, if it is alive; never throws. */
  addressOf(instanceId: string): Promise<string | undefined>;
  /** The key shared by every instance for signing relayed client addresses. */
  signingKey(): Buffer | undefined;
}

export class RedisInstances implements InstanceDirectory {
  readonly self: string;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttl: number;
  readonly #log: Logger;
  #address: string | undefined;
  #key: Buffer | undefined;

  constructor(redis: Redis, opts: { prefix: string; ttl: number; instance: string; log: Logger }) {
    this.#redis = redis;
    this.#prefix = opts.prefix;
    this.#ttl = opts.ttl;
    this.self = opts.instance;
    this.#log = opts.log;
  }

  /** Reads (or creates) the shared signing key; the store must be reachable. */
  async start(): Promise<void> {
    await this.#syncKey(randomBytes(32).toString('base64'));
  }

  /** Starts advertising `address` (once listening: the port may be chosen by the system). */
  advertise(address: string): void {
    this.#address = address;
    this.#log.info(
      { event: 'store.advertise', instance: this.self, address },
      'other instances relay resumes and watch links for this one here',
    );
    this.publish();
  }

  /** Renews this instance's entry and the signing key (the renewal timer); never throws. */
  publish(): void {
    if (this.#address === undefined) return;
    this.#redis
      .set(this.#entry(this.self), this.#address, 'PX', this.#ttl)
      .then(() =>
        this.#syncKey(this.#key?.toString('base64') ?? randomBytes(32).toString('base64')),
      )
      .catch(() => {});
  }

  async close(): Promise<void> {
    if (this.#address === undefined) return;
    await this.#redis.del(this.#entry(this.self)).catch(() => {});
  }

  async addressOf(instanceId: string): Promise<string | undefined> {
    try {
      return (await this.#redis.get(this.#entry(instanceId))) ?? undefined;
    } catch {
      return undefined;
    }
  }

  signingKey(): Buffer | undefined {
    return this.#key;
  }

  #entry(id: string): string {
    return `${this.#prefix}instance:${id}`;
  }

  async #syncKey(mine: string): Promise<void> {
    const name = `${this.#prefix}forward-key`;
    await this.#redis.set(name, mine, 'NX');
    const text = await this.#redis.get(name);
    if (text !== null) this.#key = Buffer.from(text, 'base64');
  }
}
