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
  /** A prompt was the last thing sent: another one before any data says nothing new. */
  #afterPrompt = false;
  /** Echo and MXP are states: within one batch only the last value is sent (see flush). */
  #echo: boolean | undefined;
  #mxp: boolean | undefined;
  /** Control messages fanned out since the bridge last reset it (its per-second budget). */
  controlCount = 0;

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
    if (this.#echo !== undefined || this.#mxp !== undefined) this.flush();
    this.#afterPrompt = false;
    const at = this.#offset;
    this.#offset = at + n;
    const viewers = this.#viewers;
    for (let i = 0; i < viewers.length; i++) viewers[i]?.data(bytes, at);
  }

  /**
   * A control message. Coalesced (SECURITY.md C25): repeated prompts with no data between
   * become one, and echo/MXP changes wait for the next data or the end of the batch (flush),
   * so a thousand `IAC GA` or `WILL/WONT ECHO` in one read are one frame, not a thousand.
   */
  control(msg: ServerMessage): void {
    if (msg.type === 'echo') this.#echo = msg.local;
    else if (msg.type === 'mxp') this.#mxp = msg.enabled;
    else if (msg.type === 'prompt') {
      if (this.#afterPrompt) return;
      this.flush();
      this.#afterPrompt = true;
      this.#fanOut(msg);
    } else {
      this.flush();
      this.#fanOut(msg);
    }
  }

  /** End of a batch: sends the echo and MXP states that changed in it. */
  flush(): void {
    const echo = this.#echo;
    const mxp = this.#mxp;
    this.#echo = undefined;
    this.#mxp = undefined;
    if (echo !== undefined) this.#fanOut({ type: 'echo', local: echo });
    if (mxp !== undefined) this.#fanOut({ type: 'mxp', enabled: mxp });
  }

  #fanOut(msg: ServerMessage): void {
    this.controlCount++;
    const viewers = this.#viewers;
    for (let i = 0; i < viewers.length; i++) viewers[i]?.control(msg);
  }
}
