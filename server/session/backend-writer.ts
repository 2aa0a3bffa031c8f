/**
 * The browser→backend direction of a bridge: queues input until the backend is connected,
 * batches the writes of one tick (cork), and tells the session to stop reading the browser
 * while the backend is not draining. A backend that stops reading altogether is cut at the
 * session's buffer cap.
 */
import type { BackendStream } from './backend-stream.ts';

/** Bytes the browser may send before the backend is connected; beyond it input waits. */
const PRECONNECT_QUEUE_BYTES = 256 * 1024;

export interface WriterEvents {
  /** false: stop reading the browser; true: read again. */
  inputFlow(open: boolean): void;
  /** The backend's write queue passed the cap: the session must end. */
  overCap(): void;
}

export class BackendWriter {
  #stream: BackendStream | undefined;
  #capBytes: number;
  #events: WriterEvents;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #drainWait = false;
  #corked = false;
  #dropped = false;

  constructor(capBytes: number, events: WriterEvents) {
    this.#capBytes = capBytes;
    this.#events = events;
  }

  /** Bytes held for the backend: its write queue and input queued before it connected. */
  get bufferedBytes(): number {
    return (this.#stream?.writableLength ?? 0) + this.#pendingBytes;
  }

  /** Input that arrived before the backend was connected. */
  queue(data: Uint8Array): void {
    this.#pending.push(data);
    this.#pendingBytes += data.length;
    if (this.#pendingBytes >= PRECONNECT_QUEUE_BYTES && !this.#drainWait) {
      this.#drainWait = true;
      this.#events.inputFlow(false);
    }
  }

  /** The backend is connected; `encode` turns each queued chunk into backend bytes. */
  attach(stream: BackendStream, encode: (data: Uint8Array) => Uint8Array): void {
    this.#stream = stream;
    const queued = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#drainWait = false;
    for (const chunk of queued) this.write(encode(chunk));
    if (!this.#drainWait) this.#events.inputFlow(true);
  }

  /** Every write to the backend (typed bytes, GMCP, negotiation replies) obeys the same cap. */
  write(out: Uint8Array): void {
    const stream = this.#stream;
    if (stream === undefined || out.length === 0 || stream.destroyed) return;
    if (!this.#corked && stream.cork !== undefined) {
      // The frames of one TCP read from the browser arrive in one synchronous burst: send
      // them in one writev once it is over (a microtask: no added latency), not a write each.
      this.#corked = true;
      stream.cork();
      queueMicrotask(this.#uncork);
    }
    if (!stream.write(out)) {
      if (stream.writableLength > this.#capBytes) {
        this.#events.overCap();
        return;
      }
      if (!this.#drainWait) {
        this.#drainWait = true;
        stream.once('drain', this.#onDrain);
        this.#events.inputFlow(false);
      }
    }
  }

  #uncork = (): void => {
    this.#corked = false;
    this.#stream?.uncork?.();
  };

  #onDrain = (): void => {
    this.#drainWait = false;
    if (!this.#dropped) this.#events.inputFlow(true);
  };

  /** The session ended: queued input is dropped and nothing more is written. */
  drop(): void {
    this.#dropped = true;
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}
