/**
 * Session logs: the terminal's text as a download (plain, or HTML with its colours), and an
 * optional per-host auto-log kept in localStorage, bounded, written at most every few
 * seconds. Only host lines and the commands shown as sent go in; hidden input (passwords)
 * never reaches the MUD client, so it is never logged. The text parts are DOM-free.
 */
import { readJson, type StorageLike, writeJson } from '../storage.ts';
import type { Run } from './cells.ts';

export const LogLimits = {
  /** Characters kept per host in the auto-log; the oldest lines go first. */
  maxAutoLogChars: 256 * 1024,
  maxLineChars: 4096,
  flushMs: 3000,
} as const;

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const SAFE_COLOR = /^#[0-9a-f]{6}$/i;

function runHtml(r: Run): string {
  const css: string[] = [];
  if (r.fg !== undefined && SAFE_COLOR.test(r.fg)) css.push(`color:${r.fg}`);
  if (r.bg !== undefined && SAFE_COLOR.test(r.bg)) css.push(`background:${r.bg}`);
  if (r.bold) css.push('font-weight:bold');
  if (r.italic) css.push('font-style:italic');
  if (r.underline) css.push('text-decoration:underline');
  if (r.dim) css.push('opacity:.6');
  const text = escapeHtml(r.text);
  return css.length === 0 ? text : `<span style="${css.join(';')}">${text}</span>`;
}

/** A standalone HTML document (no script, every host character escaped). */
export function logHtml(
  title: string,
  lines: readonly (readonly Run[])[],
  fg: string,
  bg: string,
): string {
  const body = lines.map((l) => l.map(runHtml).join('')).join('\n');
  const colors = SAFE_COLOR.test(fg) && SAFE_COLOR.test(bg) ? `color:${fg};background:${bg};` : '';
  return `<!doctype html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title></head>
<body style="margin:0;${colors}"><pre style="margin:0;padding:12px;font:14px/1.3 monospace;white-space:pre-wrap">${body}</pre></body></html>
`;
}

export const logText = (lines: readonly (readonly Run[])[]): string =>
  `${lines.map((l) => l.map((r) => r.text).join('')).join('\n')}\n`;

/** `porthole-<host>-2025-01-31-1205.<ext>`. */
export function logFileName(hostId: string, ext: string, now: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}`;
  return `porthole-${hostId.replace(/[^\w.-]/g, '_')}-${stamp}.${ext}`;
}

/** The bounded per-host auto-log. */
export class AutoLog {
  #storage: StorageLike | undefined;
  #key: string;
  #text: string | undefined;
  #dirty = false;

  constructor(storage: StorageLike | undefined, hostId: string) {
    this.#storage = storage;
    this.#key = `log.${hostId}`;
  }

  get text(): string {
    if (this.#text === undefined) {
      const stored = readJson(this.#storage, this.#key);
      this.#text = typeof stored === 'string' ? stored.slice(-LogLimits.maxAutoLogChars) : '';
    }
    return this.#text;
  }

  add(line: string): void {
    let text = `${this.text}${line.slice(0, LogLimits.maxLineChars)}\n`;
    if (text.length > LogLimits.maxAutoLogChars) {
      const cut = text.indexOf('\n', text.length - LogLimits.maxAutoLogChars);
      text = text.slice(cut + 1);
    }
    this.#text = text;
    this.#dirty = true;
  }

  /** Writes to storage when something changed; true when it wrote. */
  flush(): boolean {
    if (!this.#dirty) return false;
    this.#dirty = false;
    writeJson(this.#storage, this.#key, this.#text ?? '');
    return true;
  }

  clear(): void {
    this.#text = '';
    this.#dirty = false;
    try {
      this.#storage?.removeItem(`porthole.${this.#key}`);
    } catch {
      // Storage denied: nothing was kept either.
    }
  }
}
