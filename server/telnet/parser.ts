import { Cmd, type Verb } from './codes.ts';

/** Where the parser delivers what it finds. Called synchronously from `feed`. */
export interface ParserSink {
  /** Data bytes: a view into the fed chunk, valid only until `feed` returns. */
  data(bytes: Uint8Array): void;
  /** A two-byte command other than negotiation: GA, EOR, NOP, AYT, ... */
  command(code: number): void;
  negotiate(verb: Verb, option: number): void;
  /**
   * A complete `IAC SB option ... IAC SE`; `payload` is unescaped and only valid during the
   * call. Return true to stop parsing right after the `IAC SE` (MCCP2: what follows is
   * compressed, so it must not be read as telnet).
   */
  subnegotiation(option: number, payload: Uint8Array): boolean;
  warning(message: string): void;
}

type State = 'data' | 'iac' | 'negotiate' | 'sb-option' | 'sb-data' | 'sb-iac';

const CR = 0x0d;
const NUL = 0x00;
const FF = Uint8Array.of(Cmd.IAC);

function assertNever(value: never): never {
  throw new Error(`unreachable parser state ${String(value)}`);
}

function isVerb(byte: number): byte is Verb {
  return byte >= Cmd.WILL && byte <= Cmd.DONT;
}

/**
 * The RFC 854/855 byte-level state machine. It does no I/O and keeps nothing but its state
 * and a bounded subnegotiation buffer between calls, so any chunking gives the same events.
 */
export class TelnetParser {
  /** RFC 854: outside BINARY mode, CR NUL means a bare CR; the NUL is not data. */
  stripNulAfterCr = true;
  #sink: ParserSink;
  #limitFor: (option: number) => number;
  #state: State = 'data';
  #verb: Verb = Cmd.WILL;
  #lastWasCr = false;
  #nulAt = -1;
  #halt = false;
  #sbOption = 0;
  #sbLimit = 0;
  #sbLength = 0;
  #sbOverflow = false;
  #sbBuffer: Uint8Array | undefined;
  #warnedOverflow = false;

  /** `limitFor` picks the subnegotiation cap for an option when its `IAC SB` arrives. */
  constructor(sink: ParserSink, limitFor: (option: number) => number) {
    this.#sink = sink;
    this.#limitFor = limitFor;
  }

  /** Bytes held for an unfinished subnegotiation (bounded by its cap). */
  get bufferedSubnegotiationBytes(): number {
    return this.#sbLength;
  }

  /** Size of the subnegotiation buffer allocated so far. */
  get subnegotiationCapacity(): number {
    return this.#sbBuffer?.length ?? 0;
  }

  /** Asks `feed` to return after the current element (the caller's work budget is spent). */
  stop(): void {
    this.#halt = true;
  }

  /** Parses `chunk`; returns how many bytes were consumed (less than all only after a halt). */
  feed(chunk: Uint8Array): number {
    this.#nulAt = -1;
    let i = 0;
    while (i < chunk.length) {
      switch (this.#state) {
        case 'data':
          i = this.#onData(chunk, i);
          break;
        case 'iac':
          i = this.#onIac(chunk, i);
          break;
        case 'negotiate':
          i = this.#onNegotiate(chunk, i);
          break;
        case 'sb-option':
          i = this.#onSbOption(chunk, i);
          break;
        case 'sb-data':
          i = this.#onSbData(chunk, i);
          break;
        case 'sb-iac':
          i = this.#onSbIac(chunk, i);
          break;
        default:
          assertNever(this.#state);
      }
      if (this.#halt) {
        this.#halt = false;
        return i;
      }
    }
    return chunk.length;
  }

  #onData(chunk: Uint8Array, i: number): number {
    const at = chunk.indexOf(Cmd.IAC, i);
    if (at === -1) {
      this.#emit(chunk, i, chunk.length);
      return chunk.length;
    }
    this.#emit(chunk, i, at);
    this.#state = 'iac';
    return at + 1;
  }

  #onIac(chunk: Uint8Array, i: number): number {
    const byte = chunk[i] ?? 0;
    this.#state = 'data';
    if (byte === Cmd.IAC)
      this.#emit(chunk, i, i + 1); // RFC 854: IAC IAC is one data 0xFF
    else if (byte === Cmd.SB) this.#state = 'sb-option';
    else if (isVerb(byte)) {
      this.#verb = byte;
      this.#state = 'negotiate';
    } else if (byte === Cmd.SE) this.#sink.warning('IAC SE outside a subnegotiation ignored');
    else this.#sink.command(byte);
    return i + 1;
  }

  #onNegotiate(chunk: Uint8Array, i: number): number {
    this.#state = 'data';
    this.#sink.negotiate(this.#verb, chunk[i] ?? 0);
    return i + 1;
  }

  #onSbOption(chunk: Uint8Array, i: number): number {
    this.#sbOption = chunk[i] ?? 0;
    this.#sbLimit = this.#limitFor(this.#sbOption);
    this.#sbLength = 0;
    this.#sbOverflow = false;
    this.#state = 'sb-data';
    return i + 1;
  }

  #onSbData(chunk: Uint8Array, i: number): number {
    const at = chunk.indexOf(Cmd.IAC, i);
    const end = at === -1 ? chunk.length : at;
    this.#append(chunk, i, end);
    if (at === -1) return end;
    this.#state = 'sb-iac';
    return at + 1;
  }

  #onSbIac(chunk: Uint8Array, i: number): number {
    const byte = chunk[i] ?? 0;
    this.#state = 'data';
    if (byte === Cmd.IAC) {
      this.#state = 'sb-data';
      this.#append(FF, 0, 1);
    } else if (byte === Cmd.SE) this.#finishSubnegotiation();
    else {
      // RFC 855 allows only IAC IAC and IAC SE inside SB. Like libtelnet, drop the broken
      // subnegotiation and read the byte as a command, so one bad SB cannot swallow the rest.
      this.#sink.warning(`IAC ${byte} inside subnegotiation of option ${this.#sbOption}; dropped`);
      this.#sbLength = 0;
      this.#state = 'iac';
      return i;
    }
    return i + 1;
  }

  #finishSubnegotiation(): void {
    const length = this.#sbLength;
    this.#sbLength = 0;
    if (this.#sbOverflow) return;
    const payload = this.#sbBuffer?.subarray(0, length) ?? new Uint8Array(0);
    this.#halt = this.#sink.subnegotiation(this.#sbOption, payload);
  }

  #append(source: Uint8Array, start: number, end: number): void {
    const count = end - start;
    if (count === 0 || this.#sbOverflow) return;
    const needed = this.#sbLength + count;
    if (needed > this.#sbLimit) {
      // SECURITY.md C17/C18: discard until IAC SE; the buffer never grows past the cap.
      this.#sbOverflow = true;
      this.#sbLength = 0;
      if (!this.#warnedOverflow) {
        this.#warnedOverflow = true;
        this.#sink.warning(
          `subnegotiation of option ${this.#sbOption} exceeds ${this.#sbLimit} bytes; discarded (reported once)`,
        );
      }
      return;
    }
    this.#reserve(needed);
    this.#sbBuffer?.set(source.subarray(start, end), this.#sbLength);
    this.#sbLength = needed;
  }

  #reserve(needed: number): void {
    const current = this.#sbBuffer;
    if (current !== undefined && current.length >= needed) return;
    let size = Math.max(current?.length ?? 0, Math.min(256, this.#sbLimit));
    while (size < needed) size *= 2;
    const grown = new Uint8Array(Math.min(size, this.#sbLimit));
    if (current !== undefined) grown.set(current.subarray(0, this.#sbLength));
    this.#sbBuffer = grown;
  }

  #emit(chunk: Uint8Array, start: number, end: number): void {
    let from = start;
    let searchAt = start;
    while (this.stripNulAfterCr && searchAt < end) {
      // One forward scan per chunk: #nulAt only moves right, so many IACs stay O(n).
      if (this.#nulAt < searchAt) {
        const found = chunk.indexOf(NUL, searchAt);
        this.#nulAt = found === -1 ? chunk.length : found;
      }
      const nul = this.#nulAt;
      if (nul >= end) break;
      if (nul === start ? this.#lastWasCr : chunk[nul - 1] === CR) {
        this.#deliver(chunk, from, nul);
        this.#lastWasCr = false;
        from = nul + 1;
      }
      searchAt = nul + 1;
    }
    this.#deliver(chunk, from, end);
  }

  #deliver(chunk: Uint8Array, start: number, end: number): void {
    if (start >= end) return;
    this.#lastWasCr = chunk[end - 1] === CR;
    this.#sink.data(chunk.subarray(start, end));
  }
}
