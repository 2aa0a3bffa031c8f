import { TelnetLimits } from './codes.ts';
import { Inflater } from './mccp.ts';
import type { TelnetParser } from './parser.ts';

/** What the input side tells the engine. */
export interface WireInputEvents {
  /** True once this call has produced as many events as it may (the rest waits for `more`). */
  spent(): boolean;
  /** The MCCP2 stream cannot be decompressed; `tooBig`: the read inflated past the bomb guard. */
  failed(message: string, tooBig: boolean): void;
}

/**
 * The backend's bytes on their way into the parser: plain, or inflated while MCCP2 is on
 * (everything after `IAC SB MCCP2 IAC SE`, starting with the very next byte of the same read,
 * is one zlib stream). Work per call is bounded by the engine's event budget: what is left of
 * a read waits as a backlog for `more`.
 */
export class WireInput {
  #parser: TelnetParser;
  #events: WireInputEvents;
  #inflater: Inflater | undefined;
  /** Input of the current read not yet consumed (compressed while #inflater is set). */
  #backlog: Uint8Array | undefined;
  /** Bytes inflated from the current read so far (the bomb guard spans its `more` calls). */
  #inflated = 0;
  #stopped = false;

  constructor(parser: TelnetParser, events: WireInputEvents) {
    this.#parser = parser;
    this.#events = events;
  }

  get compressing(): boolean {
    return this.#inflater !== undefined;
  }

  get backlog(): boolean {
    return this.#backlog !== undefined;
  }

  /** `IAC SB MCCP2 IAC SE` was parsed: what follows is compressed. */
  startCompression(): void {
    this.#inflater = new Inflater();
  }

  /** A new read from the backend. */
  read(chunk: Uint8Array): void {
    const backlog = this.#backlog;
    this.#backlog = undefined;
    if (backlog === undefined) this.#inflated = 0;
    // A stream that delivers while we hold it back: keep the order, and keep going.
    this.#consume(backlog === undefined ? chunk : Buffer.concat([backlog, chunk]));
  }

  /** Goes on with the backlog. */
  more(): void {
    const backlog = this.#backlog;
    this.#backlog = undefined;
    if (backlog !== undefined) this.#consume(backlog);
  }

  /** The engine failed: nothing more is read. */
  stop(): void {
    this.#stopped = true;
    this.#inflater = undefined;
    this.#backlog = undefined;
  }

  #consume(chunk: Uint8Array): void {
    let input = chunk;
    while (!this.#stopped) {
      let more = false;
      const inflater = this.#inflater;
      if (inflater === undefined) {
        if (input.length === 0) return;
        input = input.subarray(this.#parser.feed(input));
      } else {
        const result = inflater.push(
          input,
          TelnetLimits.maxInflatedBytesPerChunk - this.#inflated,
          TelnetLimits.inflateStepBytes,
        );
        for (const block of result.output) {
          this.#inflated += block.length;
          this.#parser.feed(block);
        }
        if (result.kind === 'error') {
          this.#events.failed(result.message, result.tooBig === true);
          return;
        }
        if (result.kind === 'more') {
          more = true;
          input = result.rest;
        } else if (result.rest === undefined) return;
        else {
          this.#inflater = undefined; // Z_STREAM_END: the server ended compression cleanly
          input = result.rest;
        }
      }
      if ((more || input.length > 0) && this.#events.spent()) {
        this.#backlog = input;
        return;
      }
    }
  }
}
