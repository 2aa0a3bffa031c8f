/**
 * Splits the terminal text stream into completed lines as they are written, so triggers can
 * match them, gag them or colour part of them before xterm draws them. Escape sequences
 * pass through untouched (a full VT stream works); matching sees the text without them.
 * While `hold` is on, the unfinished last line (usually a prompt) waits until the line
 * ends, `flush()` is called (GA/EOR, a short timer) or it grows past a bound. DOM-free.
 */

export interface Highlight {
  /** Offsets into the plain (escape-free) line. */
  start: number;
  end: number;
  /** `#rrggbb`. */
  color: string;
}

export interface LineVerdict {
  gag: boolean;
  highlights: readonly Highlight[];
}

/** Called with each completed line's plain text; undefined leaves the line as it is. */
export type LineJudge = (plain: string) => LineVerdict | undefined;

export const LineLimits = {
  /** A held partial line longer than this is written anyway. */
  maxHeldChars: 8192,
  /** Plain text kept per line for matching; the rest of a longer line is not matched. */
  maxPlainChars: 4096,
  /** SGR sequences remembered to restore colours after a highlight. */
  maxSgr: 32,
} as const;

type State = 'text' | 'esc' | 'csi' | 'string' | 'string-esc';

// biome-ignore lint/suspicious/noControlCharactersInRegex: SGR is an escape sequence.
const SGR = /^\x1b\[[\d;:]*m$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: a reset SGR.
const SGR_RESET = /^\x1b\[0*m$/;

export class LineFilter {
  hold = false;
  #judge: LineJudge;
  #state: State = 'text';
  #seq = '';
  /** The current line's raw text not yet written. */
  #raw = '';
  #plain = '';
  /** For each plain character, its offset in #raw. */
  #map: number[] = [];
  /** SGR sequences in force before #raw starts (since the last reset). */
  #carried: string[] = [];
  /** SGR sequences inside #raw: [offset after it, sequence]. */
  #lineSgr: [number, string][] = [];

  constructor(judge: LineJudge) {
    this.#judge = judge;
  }

  /** Text in; the text to write now comes out. */
  push(text: string): string {
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const c = text[i] ?? '';
      this.#raw += c;
      if (this.#scan(c) && c === '\n') out += this.#completeLine();
    }
    if (!this.hold || this.#raw.length > LineLimits.maxHeldChars) out += this.flush();
    return out;
  }

  /** Writes out the held partial line; its completion is still matched later. */
  flush(): string {
    const raw = this.#raw;
    this.#raw = '';
    this.#carry(this.#lineSgr.map(([, s]) => s));
    this.#lineSgr = [];
    this.#map = this.#map.map(() => -1);
    return raw;
  }

  /**
   * Local text (an echoed command, a notice) is about to be drawn after the partial line:
   * that line is over. It is matched now (it was already drawn, so only actions apply).
   */
  endLine(): string {
    const out = this.flush();
    if (this.#plain !== '') this.#judge(this.#plain);
    this.#plain = '';
    this.#map = [];
    return out;
  }

  get held(): number {
    return this.#raw.length;
  }

  /** Advances the escape-sequence state; true when `c` is text (not part of a sequence). */
  #scan(c: string): boolean {
    switch (this.#state) {
      case 'text':
        if (c === '\x1b') {
          this.#state = 'esc';
          this.#seq = c;
          return false;
        }
        if (c !== '\n' && c !== '\r' && (c >= ' ' || c === '\t')) this.#addPlain(c);
        return true;
      case 'esc':
        this.#seq += c;
        if (c === '[') this.#state = 'csi';
        else if (c === ']' || c === 'P' || c === 'X' || c === '^' || c === '_')
          this.#state = 'string';
        else this.#state = 'text';
        return false;
      case 'csi':
        this.#seq += c;
        if (c >= '@' && c <= '~') this.#endCsi();
        else if (this.#seq.length > 64) this.#state = 'text';
        return false;
      case 'string':
        if (c === '\x07') this.#state = 'text';
        else if (c === '\x1b') this.#state = 'string-esc';
        return false;
      case 'string-esc':
        this.#state = c === '\x1b' ? 'string-esc' : 'text';
        return false;
    }
  }

  #endCsi(): void {
    this.#state = 'text';
    if (!SGR.test(this.#seq)) return;
    this.#lineSgr.push([this.#raw.length, this.#seq]);
    if (this.#lineSgr.length > LineLimits.maxSgr) this.#lineSgr.shift();
  }

  #addPlain(c: string): void {
    if (this.#plain.length >= LineLimits.maxPlainChars) return;
    this.#plain += c;
    this.#map.push(this.#raw.length - 1);
  }

  #completeLine(): string {
    const verdict = this.#judge(this.#plain);
    let out = this.#raw;
    if (verdict?.gag === true) out = '';
    else if (verdict !== undefined && verdict.highlights.length > 0)
      out = this.#paint(verdict.highlights);
    this.#carry(this.#lineSgr.map(([, s]) => s));
    this.#raw = '';
    this.#plain = '';
    this.#map = [];
    this.#lineSgr = [];
    return out;
  }

  #carry(seqs: readonly string[]): void {
    for (const s of seqs) {
      if (SGR_RESET.test(s)) this.#carried = [];
      else this.#carried.push(s);
    }
    if (this.#carried.length > LineLimits.maxSgr)
      this.#carried.splice(0, this.#carried.length - LineLimits.maxSgr);
  }

  /** Inserts colour around each highlight, then restores the host's colours at its end. */
  #paint(highlights: readonly Highlight[]): string {
    const cuts: [number, string][] = [];
    let last = -1;
    for (const h of [...highlights].sort((a, b) => a.start - b.start)) {
      const from = this.#map[h.start];
      const to = this.#map[h.end - 1];
      if (h.start < last || from === undefined || to === undefined || from < 0 || to < 0) continue;
      last = h.end;
      cuts.push([from, sgrColor(h.color)], [to + 1, this.#restoreAt(to + 1)]);
    }
    let out = '';
    let at = 0;
    for (const [offset, seq] of cuts) {
      out += this.#raw.slice(at, offset) + seq;
      at = offset;
    }
    return out + this.#raw.slice(at);
  }

  #restoreAt(offset: number): string {
    const inLine = this.#lineSgr.filter(([end]) => end <= offset).map(([, s]) => s);
    let seqs = [...this.#carried, ...inLine];
    const reset = seqs.findLastIndex((s) => SGR_RESET.test(s));
    if (reset !== -1) seqs = seqs.slice(reset + 1);
    return `\x1b[0m${seqs.join('')}`;
  }
}

/** `#rrggbb` as a truecolour foreground SGR. */
export function sgrColor(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `\x1b[38;2;${(n >> 16) & 255};${(n >> 8) & 255};${n & 255}m`;
}
