/** MUD line-mode command history: Up/Down navigation with a kept draft, persisted per host. DOM-free. */
import { readJson, type StorageLike, writeJson } from './storage.ts';

export const HistoryLimits = {
  maxEntries: 500,
  maxLineChars: 2000,
} as const;

export class LineHistory {
  #lines: string[];
  /** Index into #lines while browsing; #lines.length means "at the draft". */
  #cursor: number;
  #draft = '';

  constructor(lines: readonly string[] = []) {
    this.#lines = lines.slice(-HistoryLimits.maxEntries);
    this.#cursor = this.#lines.length;
  }

  get lines(): readonly string[] {
    return this.#lines;
  }

  /** Records a sent line (not blank, not a repeat of the last one) and returns to the draft. */
  add(line: string): void {
    this.reset();
    if (line.trim() === '' || line.length > HistoryLimits.maxLineChars) return;
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
