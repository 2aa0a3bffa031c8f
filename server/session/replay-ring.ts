/**
 * The output a resuming browser may have missed: the last `capacity` bytes of the session's
 * output stream, by offset, plus the terminal state the client needs again (echo, MXP, the
 * last GMCP message of each package). A viewer like any other; attached only to sessions
 * that can be resumed.
 *
 * Zero-copy: it keeps references to the chunks the stream already carries (they are never
 * written to again) and trims whole chunks, or the front of one, from the old end. While the
 * session is detached, bytes the browser may not have received (from `protect(offset)` on)
 * are never dropped: once they fill the ring, `onFull(true)` holds the backend.
 */
import type { ServerMessage } from '../../shared/protocol.ts';
import type { Viewer } from './output.ts';

/** GMCP packages whose last message is kept for a resume (Char.Vitals, Room.Info, ...). */
const MAX_GMCP_PACKAGES = 32;

export interface Replay {
  /** The offset of the first replayed byte (older than the ring holds: a gap). */
  from: number;
  gap: boolean;
  chunks: Uint8Array[];
}

export class ReplayRing implements Viewer {
  readonly capacity: number;
  #onFull: (full: boolean) => void;
  #chunks: Uint8Array[] = [];
  /** Index of the oldest live chunk in #chunks (dropped ones are compacted away in bulk). */
  #head = 0;
  #start = 0;
  #end = 0;
  #keepFrom: number | undefined;
  #full = false;
  #echo: boolean | undefined;
  #mxp: boolean | undefined;
  /** Made on the first GMCP message: an empty Map is about 220 bytes of every held session. */
  #gmcp: Map<string, ServerMessage> | undefined;

  #inFlight: () => number;

  /**
   * `inFlight`: the offset from which the attached browser may still lack bytes (what it
   * has not acknowledged); those are never trimmed either, so a drop loses nothing.
   */
  constructor(capacity: number, onFull: (full: boolean) => void, inFlight: () => number) {
    this.capacity = capacity;
    this.#onFull = onFull;
    this.#inFlight = inFlight;
  }

  /** Bytes held. */
  get size(): number {
    return this.#end - this.#start;
  }

  /** The stream offset just after the last byte held. */
  get end(): number {
    return this.#end;
  }

  data(bytes: Uint8Array, offset: number): void {
    if (offset !== this.#end) {
      // Not contiguous (cannot happen while attached from the start): begin again here.
      this.#chunks = [];
      this.#head = 0;
      this.#start = offset;
    }
    this.#chunks.push(bytes);
    this.#end = offset + bytes.length;
    if (this.#end - this.#start > this.capacity) this.#trim();
  }

  control(msg: ServerMessage): void {
    if (msg.type === 'echo') this.#echo = msg.local;
    else if (msg.type === 'mxp') this.#mxp = msg.enabled;
    else if (msg.type === 'gmcp') {
      this.#gmcp ??= new Map();
      const gmcp = this.#gmcp;
      gmcp.delete(msg.package);
      if (gmcp.size >= MAX_GMCP_PACKAGES) {
        const oldest = gmcp.keys().next().value;
        if (oldest !== undefined) gmcp.delete(oldest);
      }
      gmcp.set(msg.package, msg);
    }
  }

  /** The browser is gone: keep every byte from `offset` on (it may not have them). */
  protect(offset: number): void {
    this.#keepFrom = Math.max(this.#start, Math.min(offset, this.#end));
    if (this.#end - this.#start > this.capacity) this.#trim();
  }

  /** A browser is attached again: old bytes may go; the backend is no longer held for us. */
  release(): void {
    this.#keepFrom = undefined;
    if (this.#end - this.#start > this.capacity) this.#trim();
    this.#setFull(false);
  }

  /** What to send a browser that has every byte before `from`; undefined if `from` is ahead. */
  replay(from: number): Replay | undefined {
    if (!Number.isSafeInteger(from) || from < 0 || from > this.#end) return undefined;
    const gap = from < this.#start;
    let at = this.#start;
    const chunks: Uint8Array[] = [];
    const want = gap ? this.#start : from;
    for (let i = this.#head; i < this.#chunks.length; i++) {
      const c = this.#chunks[i] ?? new Uint8Array(0);
      const next = at + c.length;
      if (next > want) chunks.push(at >= want ? c : c.subarray(want - at));
      at = next;
    }
    return { from: want, gap, chunks };
  }

  /** The terminal state to send again after a replay. */
  state(): ServerMessage[] {
    const out: ServerMessage[] = [];
    if (this.#echo !== undefined) out.push({ type: 'echo', local: this.#echo });
    if (this.#mxp !== undefined) out.push({ type: 'mxp', enabled: this.#mxp });
    if (this.#gmcp !== undefined) out.push(...this.#gmcp.values());
    return out;
  }

  #trim(): void {
    const floor = this.#keepFrom ?? this.#inFlight();
    while (this.#end - this.#start > this.capacity) {
      const first = this.#chunks[this.#head];
      const may = Math.min(this.#end - this.#start - this.capacity, floor - this.#start);
      if (first === undefined || may <= 0) {
        // Attached, the owner's window bounds what is in flight: no need to hold for it.
        if (this.#keepFrom !== undefined) this.#setFull(true);
        break;
      }
      if (may >= first.length) {
        this.#chunks[this.#head++] = EMPTY;
        this.#start += first.length;
      } else {
        this.#chunks[this.#head] = first.subarray(may);
        this.#start += may;
      }
    }
    if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }

  #setFull(full: boolean): void {
    if (full === this.#full) return;
    this.#full = full;
    this.#onFull(full);
  }
}

const EMPTY = new Uint8Array(0);
