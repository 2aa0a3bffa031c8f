/** MUD line-mode command history: Up/Down navigation with a kept draft, persisted per host. DOM-free. */
import { readJson, type StorageLike, writeJson } from './storage.ts';

export const HistoryLimits = {
  maxEntries: 500,
  maxLineChars: 2000,
} as const;

/**
 * Lines that carry a password and never enter history: MUSH/MOO logins (`connect Name pw`,
 * `connect "Two Words" pw`, `create Name pw`, TinyMUX's `co`/`cr`), and `@password old=new`.
 * A host adds its own with `noHistory` (README).
 */
export const DEFAULT_NO_HISTORY: readonly RegExp[] = [
  /^\s*(connect|conn|co|create|cr)\s+("[^"]*"|\S+)\s+\S/i,
  /^\s*@(new)?passw(or)?d\b/i,
];

/** Compiles a host's `noHistory` sources (case-insensitive); invalid or absurd ones are skipped. */
export function compileNoHistory(sources: unknown): RegExp[] {
  if (!Array.isArray(sources)) return [];
  return sources.slice(0, 16).flatMap((source) => {
    if (typeof source !== 'string' || source.length > 200) return [];
    try {
      return [new RegExp(source, 'i')];
    } catch {
      return [];
    }
  });
}

export class LineHistory {
  #lines: string[];
  #exclude: readonly RegExp[] = DEFAULT_NO_HISTORY;
  /** Index into #lines while browsing; #lines.length means "at the draft". */
  #cursor: number;
  #draft = '';

  constructor(lines: readonly string[] = []) {
    this.#lines = lines.filter((l) => !this.excluded(l)).slice(-HistoryLimits.maxEntries);
    this.#cursor = this.#lines.length;
  }

  get lines(): readonly string[] {
    return this.#lines;
  }

  /** Whether a line is kept out of history (it looks like it carries a password). */
  excluded(line: string): boolean {
    return this.#exclude.some((re) => re.test(line));
  }

  /** The built-in patterns plus a host's own; lines already stored that match are dropped. */
  setExtraExclusions(extra: readonly RegExp[]): void {
    this.#exclude = [...DEFAULT_NO_HISTORY, ...extra];
    this.#lines = this.#lines.filter((l) => !this.excluded(l));
    this.reset();
  }

  /** Records a sent line (not blank, not a repeat of the last one, no password) and returns to the draft. */
  add(line: string): void {
    this.reset();
    if (line.trim() === '' || line.length > HistoryLimits.maxLineChars) return;
    if (this.excluded(line)) return;
    if (this.#lines.at(-1) === line) return;
    this.#lines.push(line);
    if (this.#lines.length > HistoryLimits.maxEntries) this.#lines.shift();
    this.#cursor = this.#lines.length;
  }

  /** The previous line, or undefined at the oldest. `current` is kept as the draft on the first step. */
  up(current: string): string | undefined {
    if (this.#cursor === 0) return undefined;
    if (this.#cursor === this.#lines.length) this.#draft = current;
    this.#cursor--;
    return this.#lines[this.#cursor];
  }

  /** The next line, the draft after the newest, or undefined when already at the draft. */
  down(): string | undefined {
    if (this.#cursor >= this.#lines.length) return undefined;
    this.#cursor++;
    return this.#cursor === this.#lines.length ? this.#draft : this.#lines[this.#cursor];
  }

  reset(): void {
    this.#cursor = this.#lines.length;
    this.#draft = '';
  }
}

const key = (hostId: string): string => `history.${hostId}`;

export function loadHistory(storage: StorageLike | undefined, hostId: string): LineHistory {
  const v = readJson(storage, key(hostId));
  const lines = Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  return new LineHistory(lines);
}

export function saveHistory(
  storage: StorageLike | undefined,
  hostId: string,
  history: LineHistory,
): void {
  writeJson(storage, key(hostId), history.lines);
}
