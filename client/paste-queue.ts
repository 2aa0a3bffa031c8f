/**
 * A multi-line paste in line mode: each line goes out as its own command, paced so a MUD's
 * input buffer is not flooded (one line per tick, like a player typing fast; a typical MUD
 * reads one command per 0.1 s pulse and queues the rest). DOM-free: the clock is injected.
 */

export const PasteLimits = {
  /** Above this many lines the user is asked first ("Send 200 lines?"). */
  confirmAbove: 10,
  /** Between two lines. */
  intervalMs: 50,
  /** A paste larger than this is refused outright (bounded memory, and surely a mistake). */
  maxLines: 5000,
} as const;

/** Splits pasted text into lines (CR LF, CR or LF); one trailing line end does not add a blank line. */
export function pasteLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  return lines;
}

export interface PasteHooks {
  /** Sends one line; false = not sent (the session is down): the rest is dropped. */
  send(line: string): boolean;
  /** Progress: lines sent so far of the total; `done` once finished, stopped or failed. */
  progress(sent: number, total: number, done: boolean): void;
  schedule(fn: () => void, ms: number): () => void;
}

export class PasteQueue {
  #hooks: PasteHooks;
  #lines: string[] = [];
  #sent = 0;
  #cancel: (() => void) | undefined;

  constructor(hooks: PasteHooks) {
    this.#hooks = hooks;
  }

  get busy(): boolean {
    return this.#sent < this.#lines.length;
  }

  /** Queues lines after any still pending. */
  start(lines: readonly string[]): void {
    const rest = this.#lines.slice(this.#sent);
    this.#lines = [...rest, ...lines].slice(0, PasteLimits.maxLines);
    this.#sent = 0;
    if (this.#cancel === undefined) this.#next();
  }

  /** Drops what is not sent yet. */
  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    const total = this.#lines.length;
    const sent = this.#sent;
    this.#lines = [];
    this.#sent = 0;
    if (sent < total) this.#hooks.progress(sent, total, true);
  }

  #next(): void {
    this.#cancel = undefined;
    const line = this.#lines[this.#sent];
    if (line === undefined) return;
    if (!this.#hooks.send(line)) {
      this.stop();
      return;
    }
    this.#sent++;
    const done = this.#sent >= this.#lines.length;
    this.#hooks.progress(this.#sent, this.#lines.length, done);
    if (done) {
      this.#lines = [];
      this.#sent = 0;
    } else this.#cancel = this.#hooks.schedule(() => this.#next(), PasteLimits.intervalMs);
  }
}
