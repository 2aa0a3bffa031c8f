/**
 * Where keys and pasted text go: to the host (raw mode), into the input line (line mode), or
 * to the page's own shortcuts (search, copy, paste). The terminal's own reports (cursor
 * position, device attributes) reach the host in every mode.
 */
import type { Connection } from './connection.ts';
import type { InputLine } from './input-line.ts';
import type { KeyBar } from './key-bar.ts';
import { applyModifiers, type BarKey, keySequence, type Modifiers } from './keys.ts';
import { localEchoText } from './local-echo.ts';
import type { SearchBar } from './search-bar.ts';
import type { InputMode } from './settings.ts';
import type { TerminalView } from './terminal.ts';

const encoder = new TextEncoder();
/** Reports xterm answers on its own (cursor position, device attributes): they go to the host in every mode. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences.
const REPORT_RE = /^\x1b\[[?>]?[\d;]*[Rcn]$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences.
const BRACKETED_PASTE_RE = /\x1b\[20[01]~/g;

export interface RouterParts {
  conn: Connection;
  view: () => TerminalView;
  input: () => InputLine;
  keyBar: () => KeyBar;
  search: () => SearchBar;
  mode: () => InputMode;
  /** Raw mode: whether to show typed keys (the host does not echo, and the setting says so). */
  localEcho: () => boolean;
}

export class KeyRouter {
  #p: RouterParts;

  constructor(parts: RouterParts) {
    this.#p = parts;
  }

  get #conn(): Connection {
    return this.#p.conn;
  }

  get #view(): TerminalView {
    return this.#p.view();
  }

  get #input(): InputLine {
    return this.#p.input();
  }

  get #keyBar(): KeyBar {
    return this.#p.keyBar();
  }

  get #search(): SearchBar {
    return this.#p.search();
  }

  get #mode(): InputMode {
    return this.#p.mode();
  }

  /** A line from the input line, with Enter as CR (the server turns it into the host's newline). */
  sendLine(line: string): boolean {
    return this.#conn.send(encoder.encode(`${line}\r`));
  }

  terminalData(data: string): void {
    if (this.#mode === 'raw') {
      const mods = this.#keyBar.latched ? this.#keyBar.consume() : undefined;
      const sent = this.#conn.send(
        encoder.encode(mods === undefined ? data : applyModifiers(data, mods)),
      );
      if (sent && mods === undefined && !REPORT_RE.test(data) && this.#p.localEcho()) {
        this.#view.writeLocal(localEchoText(data));
      }
    } else if (REPORT_RE.test(data)) {
      this.#conn.send(encoder.encode(data));
    } else {
      // Line mode: a paste (or a key that slipped through) belongs in the input line; a
      // multi-line paste is sent line by line.
      const text = data.replace(BRACKETED_PASTE_RE, '');
      if (text.length > 1 && /[\r\n]/.test(text)) this.#input.paste(text);
      else this.#input.insert(text);
    }
  }

  terminalKey(e: KeyboardEvent): boolean {
    if (e.type !== 'keydown') return this.#mode === 'raw';
    const k = e.key.toLowerCase();
    if (e.ctrlKey && e.shiftKey && !e.altKey) {
      if (k === 'f') this.#search.show();
      else if (k === 'c') void copyText(this.#view.selectionText());
      else if (k === 'v') void this.pasteFromClipboard();
      else return this.#mode === 'raw';
      e.preventDefault();
      return false;
    }
    if (this.#mode === 'raw') return true;
    // Line mode: typing into the terminal goes to the input line.
    if (e.ctrlKey || e.metaKey || e.altKey) return false;
    if (e.key.length === 1) {
      e.preventDefault();
      this.#input.insert(e.key);
    } else if (e.key === 'Enter' || e.key === 'ArrowUp' || e.key === 'ArrowDown') {
      this.#input.focus();
    } else if (e.key === 'PageUp' || e.key === 'PageDown') {
      this.#view.term.scrollPages(e.key === 'PageUp' ? -1 : 1);
    }
    return false;
  }

  /** Ctrl+Shift+V and the key bar's Paste: raw mode as a terminal paste, line mode into the input line. */
  async pasteFromClipboard(): Promise<void> {
    try {
      const text = await navigator.clipboard.readText();
      if (this.#mode === 'raw') this.#view.term.paste(text);
      else this.#input.paste(text);
    } catch {
      // Permission denied: the browser's own paste (Ctrl+V, context menu) still works.
    }
  }

  barKey(key: BarKey, mods: Modifiers): void {
    if (this.#mode === 'raw') {
      const appCursor = this.#view.term.modes.applicationCursorKeysMode;
      this.#conn.send(encoder.encode(keySequence(key, appCursor, mods)));
      return;
    }
    if (key === 'ArrowUp') this.#input.historyUp();
    else if (key === 'ArrowDown') this.#input.historyDown();
    else if (key === 'PageUp' || key === 'PageDown')
      this.#view.term.scrollPages(key === 'PageUp' ? -1 : 1);
    else if (key === 'Escape') this.#input.clear();
    else this.#conn.send(encoder.encode(keySequence(key, false, mods)));
  }
}

export async function copyText(text: string): Promise<void> {
  if (text === '') return;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Not a secure context or no permission: selection stays for a manual copy.
  }
}
