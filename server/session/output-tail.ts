/**
 * The last N bytes of a session's output, kept so that a spectator who joins late can
 * rebuild the screen. A viewer like any other; attached only on hosts with `share: true`,
 * so every other session pays nothing per chunk.
 */
import type { Viewer } from './output.ts';

/** How far into a wrapped tail we look for a line start to begin the replay at. */
const LINE_SEARCH_BYTES = 4096;

export class OutputTail implements Viewer {
  readonly capacity: number;
  /** Allocated at the first byte: a shared host nobody ever uses costs no buffer. */
  #ring: Buffer | undefined;
  /** Total bytes ever written; the ring holds the last min(total, capacity). */
  #total = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  data(bytes: Uint8Array, _offset: number): void {
    const cap = this.capacity;
    this.#ring ??= Buffer.allocUnsafe(cap);
    const ring = this.#ring;
    const n = bytes.length;
    // Only the last `cap` bytes of a chunk can survive.
    const src = n > cap ? bytes.subarray(n - cap) : bytes;
    let at = (this.#total + (n - src.length)) % cap;
    let done = 0;
    while (done < src.length) {
      const take = Math.min(src.length - done, cap - at);
      ring.set(src.subarray(done, done + take), at);
      done += take;
      at = (at + take) % cap;
    }
    this.#total += n;
  }

  control(): void {}

  /**
   * A copy of the held bytes. When older output was dropped, the copy starts at a line
   * start if one is near (else at a UTF-8 character start), with attributes reset, so the
   * replay does not begin inside an escape sequence or a character.
   */
  snapshot(): Buffer {
    const ring = this.#ring;
    if (ring === undefined) return Buffer.alloc(0);
    const cap = this.capacity;
    if (this.#total <= cap) return Buffer.from(ring.subarray(0, this.#total));
    const start = this.#total % cap;
    const flat = Buffer.concat([ring.subarray(start), ring.subarray(0, start)]);
    const nl = flat.subarray(0, LINE_SEARCH_BYTES).indexOf(0x0a);
    let from = nl === -1 ? 0 : nl + 1;
    while (nl === -1 && from < flat.length && ((flat[from] ?? 0) & 0xc0) === 0x80) from++;
    return Buffer.concat([Buffer.from('\x1b[0m'), flat.subarray(from)]);
  }
}
