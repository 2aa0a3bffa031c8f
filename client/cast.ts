/**
 * asciicast v2 for the replay page, DOM-free: parse a .cast file, and rebuild what the
 * screen had received by a given time (for seeking).
 */

export interface CastHeader {
  width: number;
  height: number;
  timestamp: number | undefined;
  title: string | undefined;
}

/** [seconds since start, 'o' output | 'i' input | 'r' resize "COLSxROWS", data]. */
export type CastEvent = readonly [number, string, string];

export interface Cast {
  header: CastHeader;
  events: CastEvent[];
  /** Time of the last event, in seconds. */
  duration: number;
}

const isSize = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 1000;

/** Parses a .cast file; an Error names the first bad line. */
export function parseCast(text: string): Cast | Error {
  const lines = text.split('\n');
  let header: unknown;
  try {
    header = JSON.parse(lines[0] ?? '');
  } catch {
    return new Error('line 1: the header is not JSON');
  }
  if (typeof header !== 'object' || header === null) return new Error('line 1: no header');
  const h = header as Record<string, unknown>;
  if (h.version !== 2 || !isSize(h.width) || !isSize(h.height))
    return new Error('line 1: not an asciicast v2 header');
  const events: CastEvent[] = [];
  let last = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === undefined || line.trim() === '') continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      return new Error(`line ${i + 1}: not JSON`);
    }
    if (
      !Array.isArray(e) ||
      typeof e[0] !== 'number' ||
      typeof e[1] !== 'string' ||
      typeof e[2] !== 'string'
    )
      return new Error(`line ${i + 1}: not an event`);
    last = Math.max(last, e[0]);
    events.push([last, e[1], e[2]]);
  }
  return {
    header: {
      width: h.width,
      height: h.height,
      timestamp: typeof h.timestamp === 'number' ? h.timestamp : undefined,
      title: typeof h.title === 'string' ? h.title : undefined,
    },
    events,
    duration: last,
  };
}

/** "100x30" → size, or undefined. */
export function parseSize(data: string): { cols: number; rows: number } | undefined {
  const m = /^(\d+)x(\d+)$/.exec(data);
  const cols = Number(m?.[1]);
  const rows = Number(m?.[2]);
  return isSize(cols) && isSize(rows) ? { cols, rows } : undefined;
}

export interface Frame {
  /** Every output up to the time, as one string (the screen is rebuilt by writing it). */
  text: string;
  cols: number;
  rows: number;
  /** Index of the first event after the time. */
  next: number;
}

/** What the screen had received at `t` seconds: the output so far and the size then. */
export function frameAt(cast: Cast, t: number): Frame {
  let cols = cast.header.width;
  let rows = cast.header.height;
  const out: string[] = [];
  let i = 0;
  for (; i < cast.events.length; i++) {
    const e = cast.events[i];
    if (e === undefined || e[0] > t) break;
    if (e[1] === 'o') out.push(e[2]);
    else if (e[1] === 'r') {
      const size = parseSize(e[2]);
      if (size !== undefined) ({ cols, rows } = size);
    }
  }
  return { text: out.join(''), cols, rows, next: i };
}

/** 75.4 → "1:15". */
export function formatTime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
