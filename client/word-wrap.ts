/**
 * Word wrap for line-mode hosts (issue 11): a MUD that hard-wraps at 80 columns, shown on a
 * 50-column phone, is cut mid-word by the terminal. This stream filter moves a word that
 * would cross the right edge to the next line: when a word overflows, it returns to the
 * word's start column, erases to the end of the line and writes the word again after CR LF,
 * so nothing is held back (a prompt shows at once) and colours inside the word are kept.
 *
 * It never touches cursor-addressed output: once the host positions the cursor (CUP other
 * than home, cursor up/down, scroll regions, the alternate screen, save/restore), everything
 * passes through unchanged until reset() (a new connection). Home + clear screen, common at a
 * MUD's login, and horizontal moves are followed. Hand-written: no library does this on a
 * stream with escape sequences. DOM-free; bounded (one word of state, capped escapes).
 */

const ESC = '\x1b';
/** Escape sequences longer than this are passed through and forgotten (bounded state). */
const MAX_ESCAPE = 4096;

/** East Asian wide and fullwidth ranges, and emoji: two cells (as xterm's Unicode 11 tables). */
function cellWidth(cp: number): number {
  if (cp < 0x1100) return 1;
  return (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
    ? 2
    : 1;
}

/** Combining marks and other zero-width code points (joined to the previous cell). */
const ZERO_WIDTH_RE = /^(\p{Mn}|\p{Me}|[\u200b-\u200f\u2060]|\ufe0f)$/u;

export class WordWrap {
  #cols = 80;
  #col = 0;
  #bypass = false;
  #esc = '';
  /** The current word as written (characters and escapes), its width and start column. */
  #word = '';
  #wordWidth = 0;
  #wordStart = 0;
  #wordTooLong = false;

  set width(cols: number) {
    this.#cols = Math.max(2, Math.trunc(cols));
  }

  /** True once the host addressed the cursor: output passes through untouched. */
  get bypassed(): boolean {
    return this.#bypass;
  }

  /** A new connection: column 0, and wrapping again. */
  reset(): void {
    this.#bypass = false;
    this.#esc = '';
    this.#col = 0;
    this.#endWord();
  }

  push(text: string): string {
    if (this.#bypass && this.#esc === '') return text;
    let out = '';
    for (const ch of text) {
      if (this.#bypass && this.#esc === '') {
        out += ch;
        continue;
      }
      out += this.#esc !== '' || ch === ESC ? this.#escape(ch) : this.#char(ch);
    }
    return out;
  }

  #char(ch: string): string {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || cp === 0x7f) return this.#control(ch);
    if (ch === ' ') {
      this.#endWord();
      // A space at the right edge would start the next row with a blank: drop it, as word
      // wrapping does (the next character still wraps).
      if (this.#col >= this.#cols) return '';
      this.#advance(1);
      return ch;
    }
    if (ZERO_WIDTH_RE.test(ch)) {
      if (this.#wordWidth > 0) this.#record(ch);
      return ch;
    }
    const w = cellWidth(cp);
    let out = '';
    if (this.#col + w > this.#cols) out = this.#overflow(w);
    if (this.#wordWidth === 0) this.#wordStart = this.#col + w > this.#cols ? 0 : this.#col;
    this.#advance(w);
    this.#wordWidth += w;
    this.#record(ch);
    return out + ch;
  }

  /** The next character would not fit: move the word so far to a new line, if it fits there. */
  #overflow(w: number): string {
    const width = this.#wordWidth;
    if (width === 0 || this.#wordTooLong || this.#wordStart === 0 || width + w > this.#cols) {
      return '';
    }
    const start = this.#wordStart;
    this.#col = width;
    this.#wordStart = 0;
    return `\r${ESC}[${start}C${ESC}[K\r\n${this.#word}`;
  }

  #advance(w: number): void {
    // Past the right edge the terminal wraps: the character lands at the start of a new row.
    this.#col = this.#col + w > this.#cols ? w : this.#col + w;
  }

  #record(s: string): void {
    if (this.#wordTooLong) return;
    this.#word += s;
    if (this.#word.length > this.#cols * 8 + MAX_ESCAPE) {
      this.#wordTooLong = true;
      this.#word = '';
    }
  }

  #endWord(): void {
    this.#word = '';
    this.#wordWidth = 0;
    this.#wordTooLong = false;
  }

  #control(ch: string): string {
    this.#endWord();
    if (ch === '\r') this.#col = 0;
    else if (ch === '\b') this.#col = Math.max(0, Math.min(this.#col, this.#cols) - 1);
    else if (ch === '\t') this.#col = Math.min(this.#cols, (Math.floor(this.#col / 8) + 1) * 8);
    return ch;
  }

  #escape(ch: string): string {
    this.#esc += ch;
    const seq = this.#esc;
    if (!isComplete(seq)) {
      if (seq.length <= MAX_ESCAPE) return '';
      this.#esc = '';
      this.#bypass = true; // something we cannot follow: stop interfering
      return seq;
    }
    this.#esc = '';
    this.#follow(seq);
    if (this.#wordWidth > 0) this.#record(seq);
    return seq;
  }

  /** Tracks the column through a complete sequence, or gives up on cursor addressing. */
  #follow(seq: string): void {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences.
    const csi = /^\x1b\[([?>=]?)([\d;:]*)[ -/]*([@-~])$/.exec(seq);
    if (csi === null) {
      // ESC 7/8 (save/restore), ESC M (reverse index), ESC c (reset), ESC D/E: the cursor moves.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences.
      if (/^\x1b[78MDEc]$/.test(seq)) this.#bypass = true;
      return;
    }
    const [, priv = '', params = '', final = ''] = csi;
    const n = Math.max(1, Number.parseInt(params || '1', 10) || 1);
    if (priv !== '') {
      if (/^(47|1047|1048|1049)$/.test(params) && (final === 'h' || final === 'l'))
        this.#bypass = true;
      return;
    }
    if (final === 'm' || final === 'K' || final === 'J' || final === 'X' || final === 'n') return;
    this.#endWord();
    if (final === 'G' || final === '`') this.#col = Math.min(this.#cols - 1, n - 1);
    else if (final === 'C') this.#col = Math.min(this.#cols - 1, this.#col + n);
    else if (final === 'D') this.#col = Math.max(0, Math.min(this.#col, this.#cols) - n);
    else if ((final === 'H' || final === 'f') && /^(1?(;1?)?)?$/.test(params)) this.#col = 0;
    else this.#bypass = true;
  }
}

/** Whether an escape sequence that started with ESC is complete. */
function isComplete(seq: string): boolean {
  if (seq.length < 2) return false;
  const kind = seq[1];
  if (kind === '[') return seq.length > 2 && /[@-~]/.test(seq.at(-1) ?? '');
  // OSC, DCS, APC, PM, SOS: end with BEL (OSC) or ST (ESC \).
  if (kind === ']' || kind === 'P' || kind === '_' || kind === '^' || kind === 'X') {
    return seq.endsWith('\x07') || (seq.length > 3 && seq.endsWith(`${ESC}\\`));
  }
  // ESC ( B and friends take one more character; everything else is ESC + one.
  if (
    kind === '(' ||
    kind === ')' ||
    kind === '*' ||
    kind === '+' ||
    kind === '#' ||
    kind === '%'
  ) {
    return seq.length >= 3;
  }
  return true;
}
