/**
 * Structured JSON logs (pino). One line per event; strings from peers are escaped by
 * JSON encoding and length-capped here so a hostile header cannot forge or flood lines.
 */
import { pino } from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';

const MAX_FIELD_CHARS = 200;

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'porthole' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['token', 'password', 'authorization', 'cookie', '*.token', '*.password'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** Caps a peer-supplied string for logging (JSON escaping handles control characters). */
export function cap(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value.length > MAX_FIELD_CHARS ? `${value.slice(0, MAX_FIELD_CHARS)}…` : value;
}
