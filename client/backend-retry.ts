/**
 * After the host itself drops a live session (a MUD reboot or copyover closes or resets every
 * connection): what to say, and for hosts with `reconnect: auto` when to try again. The
 * connection's own backoff covers network drops; this covers the host's side, which
 * connection.ts treats as final. Tries are spaced like the network backoff (at least 3 s,
 * a host needs a moment to come back), at most Backoff.maxAttempts, starting over once a
 * reconnect has stayed up 10 s. DOM-free.
 */
import { CloseCode, HOST_LOST_SENTENCE, isHostEnd } from '../shared/close-codes.ts';
import { Backoff, reconnectDelayMs } from './backoff.ts';

const MIN_DELAY_MS = 3000;
const STABLE_AFTER_MS = 10_000;
/** A line like this sent just before the host closed means the user asked for the end. */
export const QUIT_RE = /^\s*(quit|qui|logout|logoff|exit|bye|@quit)\b/i;
/** How recent that line must be. */
export const QUIT_WINDOW_MS = 5000;

export type ReconnectPolicy = 'ask' | 'auto';

export interface HostEndVerdict {
  sentence: string;
  /** Reconnect by itself after this long; undefined = offer the Reconnect button only. */
  retryInMs: number | undefined;
  attempt: number;
  /** Auto attempts ran out. */
  gaveUp: boolean;
}

export class BackendRetry {
  #hostWasUp = false;
  #upSince: number | undefined;
  #attempt = 0;
  #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** The host is connected (status `connected`). */
  hostUp(now: number): void {
    this.#hostWasUp = true;
    this.#upSince = now;
  }

  /** The user reconnected or left: auto attempts start over. */
  reset(): void {
    this.#attempt = 0;
  }

  /**
   * A session ended with `code`. Undefined when there is nothing to add: not the host's
   * doing, the host was never up (a host that cannot be reached at all is not retried here,
   * except while an auto reconnect is under way: the host is still booting), or with `ask`
   * a plain close (the connection's own sentence and Reconnect button say it). `userQuit`:
   * the user just typed quit/logout, so the close was asked for and is not retried.
   */
  ended(
    code: number,
    policy: ReconnectPolicy,
    now: number,
    userQuit = false,
  ): HostEndVerdict | undefined {
    const wasUp = this.#hostWasUp;
    this.#hostWasUp = false;
    if (this.#upSince !== undefined && now - this.#upSince >= STABLE_AFTER_MS) this.#attempt = 0;
    this.#upSince = undefined;
    if (!isHostEnd(code) || (!wasUp && this.#attempt === 0)) return undefined;
    const lost = code === CloseCode.BAD_GATEWAY;
    if (policy === 'ask' || userQuit) {
      this.#attempt = 0;
      // 1014 from a connected host is a lost connection, not "could not reach it".
      return wasUp && lost
        ? { sentence: HOST_LOST_SENTENCE, retryInMs: undefined, attempt: 0, gaveUp: false }
        : undefined;
    }
    const sentence = !wasUp
      ? 'The host is not back yet.'
      : lost
        ? HOST_LOST_SENTENCE
        : 'The host closed the connection. It may be restarting.';
    if (this.#attempt >= Backoff.maxAttempts) {
      return { sentence, retryInMs: undefined, attempt: this.#attempt, gaveUp: true };
    }
    this.#attempt++;
    const delay = Math.max(MIN_DELAY_MS, reconnectDelayMs(this.#attempt, this.#random));
    return { sentence, retryInMs: delay, attempt: this.#attempt, gaveUp: false };
  }
}
