/**
 * Pure accounting for the backend→browser acknowledgement window (docs/ARCHITECTURE.md, "How
 * flow control works"), used by
 * the server (how much is in flight) and the client (when to send an ack).
 */

/** Server side: bytes sent to the browser and not yet acknowledged. */
export class AckWindow {
  #unacked = 0;
  readonly highWaterBytes: number;
  readonly lowWaterBytes: number;

  constructor(highWaterBytes: number, lowWaterBytes: number) {
    if (!(lowWaterBytes >= 0 && lowWaterBytes < highWaterBytes)) {
      throw new RangeError('AckWindow needs 0 <= lowWaterBytes < highWaterBytes');
    }
    this.highWaterBytes = highWaterBytes;
    this.lowWaterBytes = lowWaterBytes;
  }

  get unacked(): number {
    return this.#unacked;
  }

  /** Records bytes sent; true when the sender should now stop reading. */
  sent(bytes: number): boolean {
    this.#unacked += bytes;
    return this.#unacked >= this.highWaterBytes;
  }

  /**
   * Records an acknowledgement. Returns false (and changes nothing) when the peer acks
   * more than is outstanding: that is a protocol violation, not a rounding error.
   */
  ack(bytes: number): boolean {
    if (bytes > this.#unacked) return false;
    this.#unacked -= bytes;
    return true;
  }

  /** True when a paused sender may resume. */
  get belowLowWater(): boolean {
    return this.#unacked <= this.lowWaterBytes;
  }
}

/** Client side: batches processed-byte counts into acks. */
export class AckBatcher {
  #pending = 0;
  readonly everyBytes: number;

  constructor(everyBytes: number) {
    this.everyBytes = everyBytes;
  }

  /** Adds processed bytes; returns a count to ack now, or 0 to keep batching. */
  processed(bytes: number): number {
    this.#pending += bytes;
    return this.#pending >= this.everyBytes ? this.flush() : 0;
  }

  /** Returns everything pending (for an idle flush) and resets. */
  flush(): number {
    const n = this.#pending;
    this.#pending = 0;
    return n;
  }

  get pending(): number {
    return this.#pending;
  }
}

/**
 * Control messages the backend caused (echo, prompt, gmcp, msdp, mxp) count in the ack
 * window like terminal bytes, by the UTF-8 length of their frame: the server stops reading
 * the backend when they pile up, and the client acknowledges them. Session messages
 * (hello, status, pong, error) do not count.
 */
export function countsInWindow(type: string): boolean {
  return (
    type === 'prompt' || type === 'echo' || type === 'gmcp' || type === 'msdp' || type === 'mxp'
  );
}

/** UTF-8 length of a string without encoding it (the client acks text frames by it). */
export function utf8Length(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
      continue;
    }
    n += 2; // 3 bytes for one code unit, or 4 for a surrogate pair's two
    const next = text.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
  }
  return n;
}
