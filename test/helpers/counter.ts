/**
 * The counter stream the resume tests check byte for byte: "00000000\n00000001\n…", written by
 * a backend as fast as the socket drains, so any byte lost, doubled or reordered shows.
 */
import type { WebSocket } from 'ws';
import { type FakeBackend, startBackend } from './backends.ts';

/** Bytes per line ("00000001\n"). */
export const LINE = 9;

/** The counter stream from byte `from`, `n` bytes long. */
export function expected(from: number, n: number): Buffer {
  const first = Math.floor(from / LINE);
  const lines = Math.ceil((from + n) / LINE) - first + 1;
  const text = Array.from({ length: lines }, (_, i) => `${String(first + i).padStart(8, '0')}\n`);
  const start = from - first * LINE;
  return Buffer.from(text.join('')).subarray(start, start + n);
}

/** A backend that writes the counter stream on every connection; counts what it wrote. */
export function counterBackend(): Promise<FakeBackend & { written: () => number }> {
  let written = 0;
  return startBackend((s) => {
    let line = 0;
    const pump = (): void => {
      while (!s.destroyed) {
        const text = Array.from({ length: 512 }, () => `${String(line++).padStart(8, '0')}\n`);
        const chunk = Buffer.from(text.join(''));
        written += chunk.length;
        if (!s.write(chunk)) return;
      }
    };
    s.on('drain', pump);
    pump();
  }).then((b) => Object.assign(b, { written: () => written }));
}

/** Acknowledges what `ws` receives every 32 KiB, like the client, so the stream keeps flowing. */
export function acking(ws: WebSocket): WebSocket {
  let pending = 0;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    pending += data.length;
    if (pending >= 32 * 1024) {
      ws.send(JSON.stringify({ type: 'ack', bytes: pending }));
      pending = 0;
    }
  });
  return ws;
}
