/** Builds MCCP2 streams the way MUD servers do: one zlib stream, flushed per message. */
import { constants, createDeflate, type Deflate } from 'node:zlib';

/** A zlib (RFC 1950) stream whose pieces can be produced one message at a time. */
export class MccpWriter {
  #deflate: Deflate = createDeflate();
  #pending: Buffer[] = [];

  constructor() {
    this.#deflate.on('data', (chunk: Buffer) => this.#pending.push(chunk));
  }

  /** Compresses `bytes` and resolves with everything produced so far (Z_SYNC_FLUSH). */
  write(bytes: Uint8Array): Promise<Buffer> {
    this.#deflate.write(bytes);
    return new Promise((resolve) => {
      this.#deflate.flush(constants.Z_SYNC_FLUSH, () => resolve(this.#take()));
    });
  }

  /** Ends the zlib stream (Z_FINISH): MCCP2's way of turning compression off. */
  end(bytes: Uint8Array = new Uint8Array(0)): Promise<Buffer> {
    return new Promise((resolve) => {
      this.#deflate.once('end', () => resolve(this.#take()));
      this.#deflate.end(bytes);
    });
  }

  #take(): Buffer {
    const out = Buffer.concat(this.#pending);
    this.#pending = [];
    return out;
  }
}
