/** MUD line mode: an input box under the terminal with history, masking and Enter-to-send. */
import { byId, type Disposable, listen } from './dom.ts';
import type { LineHistory } from './line-history.ts';
import { PasteLimits, PasteQueue, pasteLines } from './paste-queue.ts';

const PLACEHOLDER = 'Type a command';

export interface InputLineHooks {
  /** A line to send; `secret` lines were typed while the host had echo (passwords). False = not sent. */
  submit(line: string, secret: boolean): boolean;
  /** PageUp/PageDown while typing: scroll the terminal. */
  scroll(pages: number): void;
  /** History changed (to persist it). */
  historyChanged(): void;
}

export class InputLine {
  #form = byId('input-line', HTMLFormElement);
  #input = byId('line-input', HTMLInputElement);
  #badge = byId('input-badge', HTMLSpanElement);
  #hooks: InputLineHooks;
  #history: LineHistory;
  #masked = false;
  #keepLine: boolean;
  #listeners: Disposable[];
  #paste: PasteQueue;

  constructor(history: LineHistory, keepLine: boolean, hooks: InputLineHooks) {
    this.#history = history;
    this.#keepLine = keepLine;
    this.#hooks = hooks;
    this.#paste = new PasteQueue({
      // Pasted lines are sent as typed but kept out of history (200 of them would flush it).
      send: (line) => this.#hooks.submit(line, false),
      progress: (sent, total, done) => this.#pasteProgress(sent, total, done),
      schedule: (fn, ms) => {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      },
    });
    this.#listeners = [
      listen(this.#input, 'paste', (e) => {
        const text = e.clipboardData?.getData('text/plain') ?? '';
        // One line: the browser's own paste. Several: each its own command.
        if (!/[\r\n]/.test(text)) return;
        e.preventDefault();
        this.paste(text);
      }),
      listen(this.#form, 'submit', (e) => {
        e.preventDefault();
        this.#submit();
      }),
      listen(this.#input, 'keydown', (e) => this.#onKey(e)),
    ];
  }

  get element(): HTMLInputElement {
    return this.#input;
  }

  get masked(): boolean {
    return this.#masked;
  }

  set visible(on: boolean) {
    this.#form.hidden = !on;
  }

  set keepLine(on: boolean) {
    this.#keepLine = on;
  }

  /** The host took over echo (`echo {local:false}`): hide what is typed, keep it out of history. */
  setMasked(masked: boolean): void {
    if (masked === this.#masked) return;
    this.#masked = masked;
    // A password field keeps the text off screen and out of the browser's autofill of plain fields.
    this.#input.type = masked ? 'password' : 'text';
    this.#input.autocomplete = masked ? 'current-password' : 'off';
    this.#input.placeholder = masked ? 'Hidden input (password)' : PLACEHOLDER;
    this.#badge.hidden = !masked;
    this.#form.classList.toggle('masked', masked);
    if (masked) this.#input.value = '';
    this.#history.reset();
  }

  focus(): void {
    this.#input.focus({ preventScroll: true });
  }

  /** Inserts text at the caret (keys typed into the terminal, pastes, the key bar). */
  insert(text: string): void {
    const el = this.#input;
    const start = el.selectionStart ?? el.value.length;
    const end = el.selectionEnd ?? el.value.length;
    el.setRangeText(text.replace(/[\r\n]+/g, ' '), start, end, 'end');
    this.focus();
  }

  /**
   * Pasted text: one line goes into the box; several are sent one command each, paced, after
   * a confirmation above PasteLimits.confirmAbove lines. What was typed around the caret joins
   * the first and last pasted line. While masked only the first line is taken (a password).
   */
  paste(text: string): void {
    const el = this.#input;
    const start = el.selectionStart ?? el.value.length;
    const end = el.selectionEnd ?? el.value.length;
    const lines = pasteLines(el.value.slice(0, start) + text + el.value.slice(end));
    const endsWithNewline = /[\r\n]$/.test(text) && end === el.value.length;
    if (this.#masked || (lines.length === 1 && !endsWithNewline)) {
      el.value = '';
      this.insert(lines[0] ?? '');
      return;
    }
    if (lines.length > PasteLimits.maxLines) {
      window.alert(`That is ${lines.length} lines; at most ${PasteLimits.maxLines} can be pasted.`);
      return;
    }
    if (lines.length > PasteLimits.confirmAbove && !window.confirm(`Send ${lines.length} lines?`)) {
      return;
    }
    el.value = '';
    this.#paste.start(lines);
    this.focus();
  }

  clear(): void {
    this.#input.value = '';
    this.#history.reset();
  }

  historyUp(): void {
    if (this.#masked) return;
    const line = this.#history.up(this.#input.value);
    if (line !== undefined) this.#set(line);
  }

  historyDown(): void {
    if (this.#masked) return;
    const line = this.#history.down();
    if (line !== undefined) this.#set(line);
  }

  dispose(): void {
    this.#paste.stop();
    for (const l of this.#listeners) l.dispose();
    this.setMasked(false);
    this.#input.value = '';
  }

  #set(value: string): void {
    this.#input.value = value;
    const end = value.length;
    this.#input.setSelectionRange(end, end);
  }

  #pasteProgress(sent: number, total: number, done: boolean): void {
    this.#form.dataset.pasting = done ? '' : `${sent}/${total}`;
    if (!done) this.#input.placeholder = `Sending pasted lines: ${sent} of ${total} (Esc stops)`;
    else if (!this.#masked) {
      this.#input.placeholder =
        sent < total ? `Stopped: ${total - sent} lines not sent` : PLACEHOLDER;
    }
  }

  #submit(): void {
    const line = this.#input.value;
    const secret = this.#masked;
    if (!secret && !this.#paste.busy) this.#input.placeholder = PLACEHOLDER;
    // Not sent (the session is down): keep the text so nothing typed is lost.
    if (!this.#hooks.submit(line, secret)) return;
    if (!secret) {
      this.#history.add(line);
      this.#hooks.historyChanged();
    } else this.#history.reset();
    if (this.#keepLine && !secret && line !== '') this.#input.select();
    else this.#input.value = '';
  }

  #onKey(e: KeyboardEvent): void {
    if (e.isComposing) return;
    switch (e.key) {
      case 'ArrowUp':
        this.historyUp();
        break;
      case 'ArrowDown':
        this.historyDown();
        break;
      case 'PageUp':
        this.#hooks.scroll(-1);
        break;
      case 'PageDown':
        this.#hooks.scroll(1);
        break;
      case 'Escape':
        if (this.#paste.busy) this.#paste.stop();
        else if (this.#input.value === '') return;
        else this.clear();
        break;
      default:
        return;
    }
    e.preventDefault();
  }
}
