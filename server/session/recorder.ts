/**
 * Records one session as an asciicast v2 file: a header line (width, height, timestamp,
 * title), then `[t, "o", text]` for output, `[t, "r", "COLSxROWS"]` for resizes and, only
 * with `recordInput` and only while the client echoes locally, `[t, "i", text]` for input.
 * A Viewer like the owner's connection, but it never holds the backend: a recording that
 * cannot keep up, reaches its size cap or hits a disk error stops, and the session goes on.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { ServerMessage } from '../../shared/protocol.ts';
import type { Logger } from '../common/log.ts';
import type { Viewer } from './output.ts';
import type { SessionExtension } from './session.ts';

export interface RecorderOptions {
  session: string;
  path: string;
  title: string;
  /** The file stops growing at this size (recording.maxBytesPerSession). */
  maxBytes: number;
  recordInput: boolean;
  log: Logger;
  /** Tells the owner the recording stopped early (size cap, disk). */
  stopped: (detail: string) => void;
  /** The file is complete (session ended or recording stopped). */
  done: (path: string) => void;
}

/** Bytes waiting for the disk beyond which the recording stops rather than grow memory. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

export class Recorder implements Viewer, SessionExtension {
  readonly input: ((data: Uint8Array) => void) | undefined;
  #opts: RecorderOptions;
  #file: WriteStream;
  #startedAt = Date.now();
  #cols = 80;
  #rows = 24;
  #headerWritten = false;
  #written = 0;
  #active = true;
  /** Output and input are decoded separately: a chunk may end inside a UTF-8 character. */
  #out = new TextDecoder('utf-8');
  #in = new TextDecoder('utf-8');
  /** True while the client echoes what is typed; the host taking over echo means a password. */
  #localEcho = true;
  #batch: string[] = [];
  #flushScheduled = false;

  constructor(opts: RecorderOptions) {
    this.#opts = opts;
    this.input = opts.recordInput ? (data) => this.#onInput(data) : undefined;
    this.#file = createWriteStream(opts.path, { flags: 'wx', mode: 0o600 });
    this.#file.on('error', (err: NodeJS.ErrnoException) =>
      this.#stop(`disk error (${err.code ?? err.message})`),
    );
  }

  get active(): boolean {
    return this.#active;
  }

  data(bytes: Uint8Array, _offset: number): void {
    if (!this.#active) return;
    const text = this.#out.decode(bytes, { stream: true });
    if (text !== '') this.#event('o', text);
  }

  control(msg: ServerMessage): void {
    if (msg.type === 'echo') this.#localEcho = msg.local;
  }

  resize(cols: number, rows: number): void {
    if (cols === this.#cols && rows === this.#rows) return;
    this.#cols = cols;
    this.#rows = rows;
    // Before the header, the size simply goes into it.
    if (this.#headerWritten) this.#event('r', `${cols}x${rows}`);
  }

  #onInput(data: Uint8Array): void {
    if (!this.#active) return;
    // Password prompts: the host turns echo on for itself; nothing typed then is kept.
    if (!this.#localEcho) {
      this.#in.decode(new Uint8Array(0));
      return;
    }
    const text = this.#in.decode(data, { stream: true });
    if (text !== '') this.#event('i', text);
  }

  #event(code: 'o' | 'r' | 'i', text: string): void {
    if (!this.#headerWritten) this.#header();
    const t = Math.max(0, (Date.now() - this.#startedAt) / 1000);
    this.#append(`${JSON.stringify([Number(t.toFixed(6)), code, text])}\n`);
  }

  #header(): void {
    this.#headerWritten = true;
    this.#append(this.#headerLine());
  }

  #headerLine(): string {
    const header = {
      version: 2,
      width: this.#cols,
      height: this.#rows,
      timestamp: Math.floor(this.#startedAt / 1000),
      title: this.#opts.title,
      env: { TERM: 'xterm-256color' },
    };
    return `${JSON.stringify(header)}\n`;
  }

  #append(line: string): void {
    if (!this.#active) return;
    const n = Buffer.byteLength(line);
    if (this.#written + n > this.#opts.maxBytes) {
      this.#stop('size limit reached');
      return;
    }
    if (this.#file.writableLength > MAX_PENDING_BYTES) {
      this.#stop('the disk is not keeping up');
      return;
    }
    this.#written += n;
    this.#batch.push(line);
    // One write per turn of the event loop, however many chunks arrived in it.
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flush);
    }
  }

  #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#batch.length === 0 || this.#file.destroyed) return;
    this.#file.write(this.#batch.join(''));
    this.#batch = [];
  };

  /** Stops recording early; the session is not touched. */
  #stop(detail: string): void {
    if (!this.#active) return;
    this.#active = false;
    this.#opts.log.warn(
      { event: 'recording.stopped', session: this.#opts.session, detail, bytes: this.#written },
      'recording stopped; the session goes on',
    );
    this.#opts.stopped(detail);
    this.#finish();
  }

  closed(): void {
    if (!this.#active) return;
    const tail = this.#out.decode();
    if (tail !== '') this.#event('o', tail);
    this.#active = false;
    this.#finish();
  }

  #finish(): void {
    this.#flush();
    if (!this.#headerWritten && !this.#file.destroyed) {
      // Nothing was ever produced: still a valid (empty) recording.
      this.#headerWritten = true;
      this.#file.write(this.#headerLine());
    }
    const path = this.#opts.path;
    if (this.#file.destroyed) this.#opts.done(path);
    else this.#file.end(() => this.#opts.done(path));
  }
}
