/**
 * A small queue for expensive credential checks (scrypt, JWT signatures). Node runs scrypt
 * on libuv's threadpool, which DNS lookups and file reads share (4 threads by default): a
 * burst of logins must not take all of them. At most `concurrency` checks run at once, one
 * per key (client address) at a time, and the waiting line is bounded; past it, a check is
 * refused at once (the caller answers 503) rather than queued without limit.
 * Hand-written: it is a dozen lines of bookkeeping, and the per-key rule is ours.
 */
export class VerifyBusy extends Error {
  override name = 'VerifyBusy';
  constructor() {
    super('too many credential checks waiting');
  }
}

interface Waiting {
  key: string;
  start: () => void;
}

export class VerifyQueue {
  readonly #concurrency: number;
  readonly #maxWaiting: number;
  #running = 0;
  #activeKeys = new Set<string>();
  #waiting: Waiting[] = [];

  constructor(concurrency: number, maxWaiting: number) {
    this.#concurrency = concurrency;
    this.#maxWaiting = maxWaiting;
  }

  /** Checks running now plus waiting (for tests and metrics). */
  get load(): number {
    return this.#running + this.#waiting.length;
  }

  /** Runs `check` when a slot and the key are free; rejects with VerifyBusy when the line is full. */
  run<T>(key: string, check: () => Promise<T>): Promise<T> {
    if (this.#waiting.length >= this.#maxWaiting) return Promise.reject(new VerifyBusy());
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.#running++;
        this.#activeKeys.add(key);
        Promise.resolve()
          .then(check)
          .then(resolve, reject)
          .finally(() => {
            this.#running--;
            this.#activeKeys.delete(key);
            this.#next();
          });
      };
      this.#waiting.push({ key, start });
      this.#next();
    });
  }

  #next(): void {
    for (let i = 0; i < this.#waiting.length && this.#running < this.#concurrency; ) {
      const w = this.#waiting[i];
      if (w === undefined || this.#activeKeys.has(w.key)) {
        i++;
        continue;
      }
      this.#waiting.splice(i, 1);
      w.start();
    }
  }
}
