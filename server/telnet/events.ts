import type { Transcode } from '../codec/charset.ts';
import type { CodecEvent } from '../codec/codec.ts';

// A hostile backend can provoke a warning per few bytes; the log needs the first few only.
const MAX_WARNINGS = 20;

/**
 * Collects one call's events in order. Data slices are held and joined only when another
 * event (or the end of the call) needs them flushed, so a plain read becomes one data event
 * with no copy; adjacent sends become one write.
 */
export class EventBuffer {
  /** Backend charset → UTF-8, applied when data is flushed; undefined for UTF-8. */
  decode: Transcode | undefined;
  #events: CodecEvent[] = [];
  #pending: Uint8Array[] = [];
  #warnings = 0;

  constructor(decode: Transcode | undefined) {
    this.decode = decode;
  }

  data(bytes: Uint8Array): void {
    this.#pending.push(bytes);
  }

  send(bytes: Uint8Array): void {
    this.flush();
    const last = this.#events.at(-1);
    if (last?.kind !== 'send') this.#events.push({ kind: 'send', bytes });
    else
      this.#events[this.#events.length - 1] = {
        kind: 'send',
        bytes: Buffer.concat([last.bytes, bytes]),
      };
  }

  emit(event: CodecEvent): void {
    this.flush();
    if (event.kind === 'warning') {
      this.#warnings++;
      if (this.#warnings > MAX_WARNINGS) return;
      if (this.#warnings === MAX_WARNINGS) {
        this.#events.push({
          kind: 'warning',
          message: `${event.message} (further telnet warnings suppressed)`,
        });
        return;
      }
    }
    this.#events.push(event);
  }

  /** Events collected so far in this call. */
  get size(): number {
    return this.#events.length;
  }

  /** Forgets data not yet flushed (a decompression bomb's output is never shown). */
  discardData(): void {
    this.#pending = [];
  }

  flush(): void {
    const pending = this.#pending;
    if (pending.length === 0) return;
    this.#pending = [];
    const joined = pending.length === 1 ? pending[0] : Buffer.concat(pending);
    const bytes = joined === undefined || this.decode === undefined ? joined : this.decode(joined);
    if (bytes !== undefined && bytes.length > 0) this.#events.push({ kind: 'data', bytes });
  }

  /** The events so far, in order; the buffer starts empty again. */
  take(): CodecEvent[] {
    this.flush();
    const events = this.#events;
    this.#events = [];
    return events;
  }
}
