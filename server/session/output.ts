/**
 * The fan-out point of a session: everything the backend bridge produces for browsers (terminal
 * bytes and control messages) passes through one OutputStream, which numbers the terminal bytes
 * with offsets from 0 and hands them to every attached viewer. The owner's browser connection
 * is a viewer; spectators and recorders attach the same way without touching the bridge.
 * Flow control is not done here: the owner pauses the bridge itself (see connection.ts).
 */
import type { ServerMessage } from '../../shared/protocol.ts';

/** Something that watches a session's output (a browser connection, a recorder, ...). */
export interface Viewer {
  /** Terminal bytes; `offset` is the stream position of `bytes[0]` (0 = the first byte ever). */
  data(bytes: Uint8Array, offset: number): void;
  /** A control message (echo, prompt, gmcp, ...) produced at the current offset. */
  control(msg: ServerMessage): void;
}

const NO_VIEWERS: readonly Viewer[] = [];

/** Numbers the session's output and fans it out to the attached viewers. */
export class OutputStream {
  #offset = 0;
  /** Replaced, never mutated: a viewer detaching during a fan-out does not disturb the loop. */
  #viewers: readonly Viewer[] = NO_VIEWERS;

  /** Bytes produced so far: the offset the next byte will have. */
  get offset(): number {
    return this.#offset;
  }

  get viewerCount(): number {
    return this.#viewers.length;
  }

  attach(viewer: Viewer): void {
    if (!this.#viewers.includes(viewer)) this.#viewers = [...this.#viewers, viewer];
  }

  detach(viewer: Viewer): void {
    if (this.#viewers.includes(viewer)) this.#viewers = this.#viewers.filter((v) => v !== viewer);
  }

  /** Hot path: one loop over an array, no allocation per chunk. */
  write(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n === 0) return;
    const at = this.#offset;
    this.#offset = at + n;
    const viewers = this.#viewers;
    for (let i = 0; i < viewers.length; i++) viewers[i]?.data(bytes, at);
  }

  control(msg: ServerMessage): void {
    const viewers = this.#viewers;
    for (let i = 0; i < viewers.length; i++) viewers[i]?.control(msg);
  }
}
