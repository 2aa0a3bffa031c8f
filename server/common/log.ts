/**
 * Structured JSON logs (pino). One line per event; strings from peers are escaped by
 * JSON encoding and length-capped here so a hostile header cannot forge or flood lines.
 */
import { pino } from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';

const MAX_FIELD_CHARS = 200;
/** A backstop for any string field, whoever forgot to cap() it. */
const MAX_ANY_FIELD_CHARS = 1000;
/**
 * What JSON leaves as is but terminals and log viewers act on: DEL, the C1 controls
 * (U+009B is the 8-bit CSI, U+0085 NEL), line and paragraph separators, bidi overrides.
 * JSON itself escapes C0 controls (\u000d, \u001b).
 */
const UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeUnsafe(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function cleanString(value: string): string {
  const short =
    value.length > MAX_ANY_FIELD_CHARS ? `${value.slice(0, MAX_ANY_FIELD_CHARS)}…` : value;
  return short.replace(UNSAFE, escapeUnsafe);
}

/** Top-level string fields made safe for terminals; other values untouched. */
function cleanFields(obj: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  // for-in, not Object.entries: no array of pairs for every line (several per session).
  for (const key in obj) {
    const value = obj[key];
    if (typeof value !== 'string') continue;
    const cleaned = cleanString(value);
    if (cleaned === value) continue;
    out ??= { ...obj };
    out[key] = cleaned;
  }
  return out ?? obj;
}

type Destination = ReturnType<typeof pino.destination>;

/**
 * Lines logged during one turn of the event loop go to the file descriptor in one write.
 * pino's asynchronous destination hands every line to libuv's thread pool on its own (a
 * thread wake-up, a write and a completion each), and a session set-up logs two: batched,
 * the proxy's futex calls per session set up in `conns` went from 5.2 to 2.7 (strace -c).
 * Lines wait only for the end of the turn; at exit they are written synchronously.
 */
class TurnBatcher {
  #out: Destination;
  #pending = '';
  #scheduled = false;

  constructor(out: Destination) {
    this.#out = out;
  }

  /** At exit, after pino's own hook: what is pending here goes out synchronously. */
  flushSync(): void {
    if (this.#pending === '') return;
    this.#out.write(this.#pending);
    this.#pending = '';
    try {
      this.#out.flushSync();
    } catch {
      // Closed or not open yet: nothing more can be done at exit.
    }
  }

  write(line: string): void {
    this.#pending += line;
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#drain);
  }

  #drain = (): void => {
    this.#scheduled = false;
    const text = this.#pending;
    this.#pending = '';
    if (text !== '') this.#out.write(text);
  };

  /** pino's `logger.flush()`: what is pending goes now. */
  flush(cb?: (err?: Error) => void): void {
    this.#drain();
    this.#out.flush(cb);
  }
}

/** One batched stdout for every logger of the process (an embedder may create many). */
let stdout: TurnBatcher | undefined;

function sharedStdout(): TurnBatcher {
  if (stdout === undefined) {
    const batcher = new TurnBatcher(pino.destination({ fd: 1, sync: false }));
    process.on('exit', () => batcher.flushSync());
    stdout = batcher;
  }
  return stdout;
}

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'porthole' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: cleanFields },
      redact: {
        paths: ['token', 'password', 'authorization', 'cookie', '*.token', '*.password'],
        censor: '[redacted]',
      },
    },
    destination ?? (level === 'silent' ? pino.destination({ fd: 1, sync: false }) : sharedStdout()),
  );
}

/** Caps a peer-supplied string for logging (control characters are escaped for every field). */
export function cap(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value.length > MAX_FIELD_CHARS ? `${value.slice(0, MAX_FIELD_CHARS)}…` : value;
}

/** Query secrets never reach the logs (SECURITY.md A10). */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  return cap(url.replace(/([?&](?:token|access_token|jwt|password)=)[^&]*/gi, '$1[redacted]'));
}
