/**
 * `flood`: the backend floods without end to clients that read slowly, and the proxy's RSS
 * is sampled every second. Half the clients speak `porthole.v1` and acknowledge at the pace
 * of a slow terminal; half are `binary` clients that read in short bursts (the transport
 * bound is all that holds them). The proxy must neither grow nor drop anyone.
 */
import { WebSocket } from 'ws';
import { BINARY_SUBPROTOCOL, encode, SUBPROTOCOL } from '../shared/protocol.ts';
import type { ProcSample } from './proc.ts';

export interface FloodOptions {
  port: number;
  sessions: number;
  seconds: number;
  warmupSeconds: number;
  /** How fast each slow reader consumes, bytes per second. */
  readBytesPerS: number;
  sample: () => ProcSample;
}

export interface FloodResult {
  sessions: number;
  seconds: number;
  rssMiB: number[];
  firstMiB: number;
  lastMiB: number;
  maxMiB: number;
  minMiB: number;
  /** (max − min) / min over the samples after warm-up, in percent. */
  spreadPct: number;
  /**
   * Growth: the highest sample of the last third against the highest of the first third, in
   * percent. Peaks, not means: RSS saw-tooths as V8 collects the per-read buffers in batches,
   * and a leak shows as rising peaks.
   */
  driftPct: number;
  /** Sessions still open at the end (a slow reader under the cap must not be dropped). */
  alive: number;
  /** Bytes delivered per session on average, MB/s. */
  perSessionMBps: number;
}

const TICK_MS = 100;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface SlowReader {
  ws: WebSocket;
  received: number;
  stop(): void;
}

function slowV1(url: string, origin: string, bytesPerTick: number): SlowReader {
  const ws = new WebSocket(url, SUBPROTOCOL, { origin, perMessageDeflate: false });
  const reader: SlowReader = { ws, received: 0, stop: () => clearInterval(timer) };
  let unprocessed = 0;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    reader.received += data.length;
    unprocessed += data.length;
  });
  // A terminal that renders bytesPerTick every tick and acknowledges what it rendered.
  const timer = setInterval(() => {
    const n = Math.min(unprocessed, bytesPerTick);
    if (n === 0 || ws.readyState !== WebSocket.OPEN) return;
    unprocessed -= n;
    ws.send(encode({ type: 'ack', bytes: n }));
  }, TICK_MS);
  ws.once('open', () => ws.send(Buffer.from('0\n')));
  return reader;
}

function slowBinary(url: string, origin: string, bytesPerTick: number): SlowReader {
  const ws = new WebSocket(url, BINARY_SUBPROTOCOL, { origin, perMessageDeflate: false });
  const reader: SlowReader = { ws, received: 0, stop: () => clearInterval(timer) };
  let budget = 0;
  ws.on('message', (data: Buffer) => {
    reader.received += data.length;
    budget -= data.length;
    if (budget <= 0) ws.pause();
  });
  // Reads about bytesPerTick, then stops reading until the next tick.
  const timer = setInterval(() => {
    if (ws.readyState !== WebSocket.OPEN) return;
    budget = bytesPerTick;
    ws.resume();
  }, TICK_MS);
  ws.once('open', () => ws.send(Buffer.from('0\n')));
  return reader;
}

export async function runFlood(opts: FloodOptions): Promise<FloodResult> {
  const origin = `http://127.0.0.1:${opts.port}`;
  const url = `ws://127.0.0.1:${opts.port}/ws?host=flood`;
  const perTick = Math.round((opts.readBytesPerS * TICK_MS) / 1000);
  const readers: SlowReader[] = [];
  for (let i = 0; i < opts.sessions; i++) {
    readers.push(i % 2 === 0 ? slowV1(url, origin, perTick) : slowBinary(url, origin, perTick));
  }
  let closed = 0;
  for (const r of readers) r.ws.once('close', () => closed++);
  await sleep(opts.warmupSeconds * 1000);
  const startBytes = readers.reduce((a, r) => a + r.received, 0);
  const rssMiB: number[] = [];
  const t0 = performance.now();
  for (let s = 0; s <= opts.seconds; s++) {
    rssMiB.push(opts.sample().rssBytes / 2 ** 20);
    if (s < opts.seconds) await sleep(t0 + (s + 1) * 1000 - performance.now());
  }
  const elapsedS = (performance.now() - t0) / 1000;
  const bytes = readers.reduce((a, r) => a + r.received, 0) - startBytes;
  for (const r of readers) {
    r.stop();
    r.ws.terminate();
  }
  const third = Math.max(1, Math.floor(rssMiB.length / 3));
  const head = Math.max(...rssMiB.slice(0, third));
  const tail = Math.max(...rssMiB.slice(-third));
  const maxMiB = Math.max(...rssMiB);
  const minMiB = Math.min(...rssMiB);
  return {
    sessions: opts.sessions,
    seconds: opts.seconds,
    rssMiB: rssMiB.map((v) => Math.round(v * 10) / 10),
    firstMiB: rssMiB[0] ?? 0,
    lastMiB: rssMiB.at(-1) ?? 0,
    maxMiB,
    minMiB,
    spreadPct: ((maxMiB - minMiB) / minMiB) * 100,
    driftPct: ((tail - head) / head) * 100,
    alive: opts.sessions - closed,
    perSessionMBps: bytes / opts.sessions / elapsedS / 1e6,
  };
}
