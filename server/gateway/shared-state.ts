/**
 * The gate's counters that must hold for the whole deployment: failed logins and lockouts,
 * upgrade-rate buckets, sessions per address and per user. One interface, two homes: this
 * process's memory (the default; one instance) or a shared store (redis-state.ts). Every
 * operation is async, so the admission list reads the same either way. The store is
 * touched at upgrade, login and close only, never per byte.
 */
import { FailureLockout, TokenBucket } from './rate-limit.ts';

/** A held session slot; `release` is idempotent. */
export interface SessionSlot {
  release(): void;
}

/** Why a slot was refused: too many sessions from the address, or for the user. */
export type SlotRefusal = 'ip' | 'user';

export interface SlotLimits {
  perIp: number;
  perUser: number;
}

/** The store failed and `store.onError` is `closed`: the request is refused (503). */
export class StoreUnavailable extends Error {
  override name = 'StoreUnavailable';
}

export interface SharedState {
  /** Seconds the key remains locked out; 0 when it is not. */
  bannedFor(key: string): Promise<number>;
  /** Reserves a verification (in-flight attempts count as failures until settled). */
  reserveAttempt(key: string): Promise<boolean>;
  /** Ends a reserved verification, recording a failure if it failed. */
  settleAttempt(key: string, failed: boolean): Promise<void>;
  /** Records a failure that was not reserved (cheap, synchronous credential checks). */
  recordFailure(key: string): Promise<void>;
  /** Takes an upgrade token: 0 when taken, else the seconds until one is available. */
  takeUpgrade(key: string): Promise<number>;
  /** Like takeUpgrade without taking. */
  peekUpgrade(key: string): Promise<number>;
  /** Takes a session slot for the address key and user (`anonymous` is not counted per user). */
  acquireSlot(ipKey: string, user: string, limits: SlotLimits): Promise<SessionSlot | SlotRefusal>;
  /** Whether a slot would be granted now (for `/api/admit`). */
  peekSlot(ipKey: string, user: string, limits: SlotLimits): Promise<SlotRefusal | undefined>;
  /** Connects to the store (throws with a clear message if it cannot). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface MemoryStateOptions {
  authFailures: number;
  authLockoutMs: number;
  upgradesPerMinute: number;
  upgradeBurst: number;
}

const FAILURE_WINDOW_MS = 60_000;
/** The slot of a probe, which holds none. */
export const NO_SLOT: SessionSlot = Object.freeze({ release: () => {} });

/** One process's state: what Porthole always had, behind the shared interface. */
export class MemoryState implements SharedState {
  readonly lockout: FailureLockout;
  readonly upgrades: TokenBucket;
  #perIp = new Map<string, number>();
  #perUser = new Map<string, number>();

  constructor(o: MemoryStateOptions) {
    this.lockout = new FailureLockout(o.authFailures, FAILURE_WINDOW_MS, o.authLockoutMs);
    this.upgrades = new TokenBucket(o.upgradesPerMinute, o.upgradeBurst);
  }

  async bannedFor(key: string): Promise<number> {
    return this.lockout.bannedFor(key);
  }
  async reserveAttempt(key: string): Promise<boolean> {
    return this.lockout.reserve(key);
  }
  async settleAttempt(key: string, failed: boolean): Promise<void> {
    this.lockout.settle(key, failed);
  }
  async recordFailure(key: string): Promise<void> {
    this.lockout.fail(key);
  }
  async takeUpgrade(key: string): Promise<number> {
    return this.upgrades.take(key) ? 0 : Math.max(1, this.upgrades.retryAfterSeconds(key));
  }
  async peekUpgrade(key: string): Promise<number> {
    return this.upgrades.retryAfterSeconds(key);
  }

  async acquireSlot(ipKey: string, user: string, limits: SlotLimits) {
    const refusal = this.#refusal(ipKey, user, limits);
    if (refusal !== undefined) return refusal;
    bump(this.#perIp, ipKey, 1);
    if (user !== 'anonymous') bump(this.#perUser, user, 1);
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        bump(this.#perIp, ipKey, -1);
        if (user !== 'anonymous') bump(this.#perUser, user, -1);
      },
    };
  }

  async peekSlot(ipKey: string, user: string, limits: SlotLimits) {
    return this.#refusal(ipKey, user, limits);
  }

  #refusal(ipKey: string, user: string, limits: SlotLimits): SlotRefusal | undefined {
    if ((this.#perIp.get(ipKey) ?? 0) >= limits.perIp) return 'ip';
    if (user !== 'anonymous' && (this.#perUser.get(user) ?? 0) >= limits.perUser) return 'user';
    return undefined;
  }

  async start(): Promise<void> {}
  async close(): Promise<void> {}
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}
