import { StringDecoder } from 'node:string_decoder';
import iconv from 'iconv-lite';

/** Turns bytes in one character set into bytes in another, keeping state across calls. */
export type Transcode = (bytes: Uint8Array) => Uint8Array;

const UTF8_NAMES = /^utf-?8$/i;

/** True for the encodings we pass through untouched: the browser speaks UTF-8 already. */
export function isUtf8(encoding: string): boolean {
  return UTF8_NAMES.test(encoding);
}

/** Throws for an encoding iconv-lite does not know: config should have caught it. */
export function assertEncoding(encoding: string): void {
  if (!isUtf8(encoding) && !iconv.encodingExists(encoding)) {
    throw new RangeError(`unknown character set "${encoding}"`);
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Backend bytes in `encoding` → UTF-8 for the browser; undefined for UTF-8, which xterm.js
 * decodes itself, even across chunk splits. Multi-byte sets keep their state between calls.
 */
export function createBackendDecoder(encoding: string): Transcode | undefined {
  assertEncoding(encoding);
  if (isUtf8(encoding)) return undefined;
  const decoder = iconv.getDecoder(encoding);
  return (bytes) => Buffer.from(decoder.write(asBuffer(bytes)), 'utf8');
}

/**
 * UTF-8 from the browser → bytes in `encoding` for the backend; undefined for UTF-8. A
 * character split across two browser messages is held until its last byte arrives.
 */
export function createBackendEncoder(encoding: string): Transcode | undefined {
  assertEncoding(encoding);
  if (isUtf8(encoding)) return undefined;
  const utf8 = new StringDecoder('utf8');
  const encoder = iconv.getEncoder(encoding);
  return (bytes) => encoder.write(utf8.write(asBuffer(bytes)));
}
