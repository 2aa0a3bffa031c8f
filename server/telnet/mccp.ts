import {
  Z_BUF_ERROR,
  Z_OK,
  Z_STREAM_END,
  Z_SYNC_FLUSH,
  ZStream,
  zlibInflate,
  zlibInflateEnd,
  zlibInflateInit,
} from 'pako';

/** What one `push` produced. */
export type InflateResult =
  /** `rest` is set when the zlib stream ended: those bytes are plain telnet again. */
  | { kind: 'ok'; output: Uint8Array[]; rest: Uint8Array | undefined }
  /** The step's output size was reached: push `rest` (possibly empty) again to go on. */
  | { kind: 'more'; output: Uint8Array[]; rest: Uint8Array }
  /** `output` holds what inflated cleanly before the error; `tooBig`: maxOutputBytes was passed. */
  | { kind: 'error'; message: string; output: Uint8Array[]; tooBig?: true };

// Small output blocks: MUD packets are tiny, and each block is shared by later pushes
// until full, so a chatty session does not allocate a block per packet.
const OUTPUT_BLOCK_BYTES = 16 * 1024;

/**
 * The MCCP2 decompressor: a synchronous, streaming zlib inflate (pako's low-level API,
 * because node:zlib has no synchronous streaming form). It reports where the compressed
 * stream ended, since MCCP2 servers may end compression and carry on in plain text.
 */
export class Inflater {
  #strm = new ZStream();
  #mark = 0;
  #ended = false;

  constructor() {
    const status = zlibInflateInit(this.#strm);
    if (status !== Z_OK) throw new Error(`zlib inflateInit failed (${status})`);
  }

  /**
   * Inflates `input`; fails once one call would produce more than `maxOutputBytes`, and
   * stops (kind `more`) once it has produced `stepBytes` and could go on.
   */
  push(
    input: Uint8Array,
    maxOutputBytes: number,
    stepBytes = Number.POSITIVE_INFINITY,
  ): InflateResult {
    if (this.#ended) {
      return { kind: 'error', message: 'compressed stream already ended', output: [] };
    }
    const strm = this.#strm;
    strm.input = input;
    strm.next_in = 0;
    strm.avail_in = input.length;
    const output: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      if (strm.avail_out === 0) this.#newBlock();
      const status = zlibInflate(strm, Z_SYNC_FLUSH);
      if (strm.next_out > this.#mark) {
        output.push(strm.output.subarray(this.#mark, strm.next_out));
        total += strm.next_out - this.#mark;
        this.#mark = strm.next_out;
      }
      if (total > maxOutputBytes) {
        this.#end();
        return { kind: 'error', message: 'inflated output too big', output: [], tooBig: true };
      }
      if (status === Z_STREAM_END) {
        this.#end();
        return { kind: 'ok', output, rest: input.subarray(strm.next_in) };
      }
      if (status !== Z_OK && status !== Z_BUF_ERROR) {
        return this.#fail(strm.msg || `zlib error ${status}`, output);
      }
      if (strm.avail_out === 0) {
        if (total >= stepBytes) return { kind: 'more', output, rest: input.subarray(strm.next_in) };
        continue;
      }
      if (strm.avail_in === 0) return { kind: 'ok', output, rest: undefined };
      // Input left, room left, yet no progress: zlib cannot go on with this stream.
      return this.#fail(strm.msg || 'zlib made no progress', output);
    }
  }

  #newBlock(): void {
    this.#strm.output = new Uint8Array(OUTPUT_BLOCK_BYTES);
    this.#strm.next_out = 0;
    this.#strm.avail_out = OUTPUT_BLOCK_BYTES;
    this.#mark = 0;
  }

  #fail(message: string, output: Uint8Array[]): InflateResult {
    this.#end();
    return { kind: 'error', message, output };
  }

  #end(): void {
    this.#ended = true;
    zlibInflateEnd(this.#strm);
  }
}
