/**
 * One answer typed in the terminal for an SSH login prompt (user name, password,
 * keyboard-interactive). Keystrokes from xterm.js are collected up to Enter, with Backspace,
 * Ctrl-U and Ctrl-C; a masked answer is echoed as nothing, as OpenSSH does. The answer lives
 * only here until it is handed to ssh2: it is never logged and never stored (SECURITY.md K9).
 */

/** Longest answer kept; beyond it keystrokes are ignored (bounded memory per session). */
export const MAX_ANSWER_BYTES = 1024;

const CR = 0x0d;
const LF = 0x0a;
const BS = 0x08;
const DEL = 0x7f;
const CTRL_C = 0x03;
const CTRL_U = 0x15;
const ESC = 0x1b;

export type PromptResult =
  /** Bytes to show in the terminal (the echo of a visible answer, a line end). */
  | { kind: 'echo'; bytes: Buffer }
  | { kind: 'answer'; text: string; echo: Buffer }
  /** Ctrl-C: the user gives up this login. */
  | { kind: 'cancel' };

export class LinePrompt {
  #bytes: number[] = [];
  #visible: boolean;
  #inEscape = false;

  constructor(visible: boolean) {
    this.#visible = visible;
  }

  /** Feeds keystrokes; stops at the first Enter (bytes after it are dropped, as a tty would not echo them yet). */
  feed(chunk: Uint8Array): PromptResult[] {
    const out: PromptResult[] = [];
    let echo: number[] = [];
    const flush = (): void => {
      if (echo.length > 0) out.push({ kind: 'echo', bytes: Buffer.from(echo) });
      echo = [];
    };
    for (const byte of chunk) {
      // Arrow keys and the like arrive as escape sequences: ignore them whole.
      if (this.#inEscape) {
        if (byte >= 0x40 && byte <= 0x7e && byte !== 0x5b && byte !== 0x4f) this.#inEscape = false;
        continue;
      }
      if (byte === ESC) this.#inEscape = true;
      else if (byte === CR || byte === LF) {
        flush();
        out.push({ kind: 'answer', text: this.#take(), echo: Buffer.from('\r\n') });
        return out;
      } else if (byte === CTRL_C) {
        flush();
        out.push({ kind: 'cancel' });
        return out;
      } else if (byte === BS || byte === DEL) {
        if (this.#removeLast() && this.#visible) echo.push(BS, 0x20, BS);
      } else if (byte === CTRL_U) {
        while (this.#removeLast()) if (this.#visible) echo.push(BS, 0x20, BS);
      } else if (byte >= 0x20 && this.#bytes.length < MAX_ANSWER_BYTES) {
        this.#bytes.push(byte);
        if (this.#visible) echo.push(byte);
      }
    }
    flush();
    return out;
  }

  /** Drops the last character (all bytes of a UTF-8 sequence); false when empty. */
  #removeLast(): boolean {
    if (this.#bytes.length === 0) return false;
    let last = this.#bytes.pop();
    while (last !== undefined && (last & 0xc0) === 0x80 && this.#bytes.length > 0)
      last = this.#bytes.pop();
    return true;
  }

  #take(): string {
    const text = Buffer.from(this.#bytes).toString('utf8');
    this.#bytes.fill(0);
    this.#bytes = [];
    return text;
  }
}
