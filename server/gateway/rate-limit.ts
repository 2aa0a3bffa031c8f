/**
 * Per-address rate limits with bounded memory: a token bucket for upgrades and a failure
 * counter with lockout for authentication (SECURITY.md A9: 5 failures → 300 s ban). Maps
 * are capped; the oldest entries go first, so a spray of source addresses cannot grow them.
 */
const MAX_KEYS = 100_000;

function evictOldest<K, V>(map: Map<K, V>): void {
  if (map.size < MAX_KEYS) return;
  const first = map.keys().next();
  if (first.done !== true) map.delete(first.value);
}

export class TokenBucket {
  readonly #perMs: number;
  readonly #burst: number;
  #buckets = new Map<string, { tokens: number; at: number }>();

  /** `perMinute` tokens refill per minute, up to `burst`. */
  constructor(perMinute: number, burst: number) {
    this.#perMs = perMinute / 60_000;
    this.#burst = burst;
  }

  /** Takes one token; false when the key is out of tokens. */
  take(key: string, now = Date.now()): boolean {
    const b = this.#buckets.get(key);
    if (b === undefined) {
      evictOldest(this.#buckets);
      this.#buckets.set(key, { tokens: this.#burst - 1, at: now });
      return true;
    }
    b.tokens = Math.min(this.#burst, b.tokens + (now - b.at) * this.#perMs);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Seconds until `key` has a token again. */
  retryAfterSeconds(key: string): number {
    const b = this.#buckets.get(key);
    if (b === undefined || b.tokens >= 1) return 0;
    return Math.ceil((1 - b.tokens) / this.#perMs / 1000);
  }
}

export class FailureLockout {
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #banMs: number;
  #state = new Map<string, { failures: number[]; bannedUntil: number; inFlight: number }>();

  constructor(maxFailures: number, windowMs: number, banMs: number) {
    this.#maxFailures = maxFailures;
    this.#windowMs = windowMs;
    this.#banMs = banMs;
  }

  /** Seconds the key remains banned; 0 when it is not. */
  bannedFor(key: string, now = Date.now()): number {
    const s = this.#state.get(key);
    if (s === undefined || s.bannedUntil <= now) return 0;
    return Math.ceil((s.bannedUntil - now) / 1000);
  }

  /**
   * Reserves one verification for `key`: attempts still being verified count as failures
   * until settled, so a burst of parallel guesses gets at most `maxFailures` verified.
   * False when the key is banned or every remaining attempt is already in flight.
   */
  reserve(key: string, now = Date.now()): boolean {
    if (this.bannedFor(key, now) > 0) return false;
    const s = this.#entry(key, now);
    if (s.failures.length + s.inFlight >= this.#maxFailures) return false;
    s.inFlight++;
    return true;
  }

  /** Ends a reserved verification; a failure is recorded. Returns true when it starts a ban. */
  settle(key: string, failed: boolean, now = Date.now()): boolean {
    const s = this.#state.get(key);
    if (s !== undefined && s.inFlight > 0) s.inFlight--;
    return failed ? this.fail(key, now) : false;
  }

  #entry(key: string, now: number): { failures: number[]; bannedUntil: number; inFlight: number } {
    let s = this.#state.get(key);
    if (s === undefined) {
      evictOldest(this.#state);
      s = { failures: [], bannedUntil: 0, inFlight: 0 };
      this.#state.set(key, s);
    }
    s.failures = s.failures.filter((t) => now - t < this.#windowMs);
    return s;
  }

  /** Records a failure; returns true when this failure starts a ban. */
  fail(key: string, now = Date.now()): boolean {
    const s = this.#entry(key, now);
    s.failures.push(now);
    if (s.failures.length >= this.#maxFailures && s.bannedUntil <= now) {
      s.bannedUntil = now + this.#banMs;
      s.failures = [];
      return true;
    }
    return false;
  }
}
