/**
 * Watch links of this process: token → shared session. Tokens are 128 random bits; a link
 * lives until its expiry, until the owner revokes it, or until the session ends. One timer
 * (only while links exist) expires links and runs the spectators' heartbeat.
 */
import { randomBytes } from 'node:crypto';

const TICK_MS = 1000;

/** `prefix` (`instanceId.` and the worker's `2.`) + 16 random bytes, base64url: 22 characters. */
export function newShareToken(prefix = ''): string {
  return `${prefix}${randomBytes(16).toString('base64url')}`;
}

const TOKEN_RE = /^(?:[a-z][a-z0-9-]{0,31}\.)?(?:\d{1,3}\.)?[A-Za-z0-9_-]{22}$/;

/** What the registry needs of a share (SessionShare in share.ts). */
export interface LiveShare {
  readonly expiresAt: number;
  readonly spectatorCount: number;
  /** Expiry and heartbeat, once a second. */
  tick(now: number): void;
}

export class ShareRegistry<T extends LiveShare = LiveShare> {
  #byToken = new Map<string, T>();
  #timer: NodeJS.Timeout | undefined;

  get size(): number {
    return this.#byToken.size;
  }

  /** Spectators watching across every link of this process (a metrics gauge). */
  spectators(): number {
    let n = 0;
    for (const share of this.#byToken.values()) n += share.spectatorCount;
    return n;
  }

  /** The live share for a token, or undefined (unknown, malformed, revoked or expired). */
  find(token: string): T | undefined {
    if (!TOKEN_RE.test(token)) return undefined;
    const share = this.#byToken.get(token);
    if (share === undefined || share.expiresAt <= Date.now()) return undefined;
    return share;
  }

  add(token: string, share: T): void {
    this.#byToken.set(token, share);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), TICK_MS);
      this.#timer.unref();
    }
  }

  remove(token: string): void {
    this.#byToken.delete(token);
    if (this.#byToken.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #tick(): void {
    const now = Date.now();
    for (const share of [...this.#byToken.values()]) share.tick(now);
  }
}
