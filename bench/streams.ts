/**
 * One client, every way to reach a backend: straight TCP (`direct`), TCP through socat, a
 * `binary` WebSocket through websockify or the naive relay, and a WebSocket through Porthole
 * (`porthole.v1` with acks, as the real client does, or websockify's `binary`). The drivers
 * for `down`, `up` and `rtt` run on any of them.
 */
import { connect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { AckBatcher } from '../shared/flow-control.ts';
import { BINARY_SUBPROTOCOL, encode, SUBPROTOCOL } from '../shared/protocol.ts';
import type { PeerName } from './peers.ts';

/**
 * `v1-store` and `binary-store`: Porthole with `store` on (bench/store.ts); `v1-noresume` and
 * `binary-noresume`: with `limits.resume: 0` (the resume A/B).
 */
export type Path =
  | 'direct'
  | PeerName
  | 'v1'
  | 'binary'
  | 'v1-store'
  | 'binary-store'
  | 'v1-noresume'
  | 'binary-noresume';
export type Role = 'echo' | 'sink' | 'flood';

export interface Stream {
  /** Queues bytes; false once this process holds more than the high-water mark. */
  send(data: Buffer): boolean;
  /** Resolves once the queue has drained to the kernel. */
  drained(): Promise<void>;
  /** Receives the backend's bytes (terminal data only, never control frames). */
  onData: (chunk: Buffer) => void;
  /** Rejects if the far side ends the stream before close() is called. */
  readonly ended: Promise<never>;
  close(): void;
}

/** A promise that rejects when `subscribe` reports an end, unless the bench closed it first. */
function endSignal(subscribe: (fail: (why: string) => void) => void): {
  ended: Promise<never>;
  closing: () => void;
} {
  let expected = false;
  const ended = new Promise<never>((_, reject) =>
    subscribe((why) => {
      if (!expected) reject(new Error(`stream ended early: ${why}`));
    }),
  );
  ended.catch(() => {}); // observed by the drivers that race it
  return {
    ended,
    closing: () => {
      expected = true;
    },
  };
}

const HIGH_WATER_BYTES = 1024 * 1024;
/** The real client acknowledges every 64 KiB, and what is left 100 ms after writes go idle. */
const ACK_EVERY_BYTES = 64 * 1024;
const ACK_IDLE_DELAY_MS = 100;

export function openTcp(port: number): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ port, host: '127.0.0.1', noDelay: true });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      const end = endSignal((fail) => socket.once('close', () => fail('TCP close')));
      const stream: Stream = {
        send: (data) => socket.write(data) && socket.writableLength < HIGH_WATER_BYTES,
        drained: () => new Promise((r) => socket.once('drain', r)),
        onData: () => {},
        ended: end.ended,
        close: () => {
          end.closing();
          socket.destroy();
        },
      };
      socket.on('data', (chunk: Buffer) => stream.onData(chunk));
      resolve(stream);
    });
  });
}

/** A WebSocket to Porthole (`/ws?host=ROLE`) or to a peer relay (which ignores the path). */
export function openWs(port: number, hostId: string, mode: 'v1' | 'binary'): Promise<Stream> {
  const origin = `http://127.0.0.1:${port}`;
  const ws = new WebSocket(
    `ws://127.0.0.1:${port}/ws?host=${hostId}`,
    mode === 'v1' ? SUBPROTOCOL : BINARY_SUBPROTOCOL,
    // Random masks, as browsers use: the proxy unmasks every byte (ws skips all-zero masks).
    { origin, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 },
  );
  const raw = (): Socket => (ws as unknown as { _socket: Socket })._socket;
  const acks = new AckBatcher(ACK_EVERY_BYTES);
  let idleFlush = false;
  const flush = (): void => {
    idleFlush = false;
    const n = acks.flush();
    if (n > 0 && ws.readyState === WebSocket.OPEN) ws.send(encode({ type: 'ack', bytes: n }));
  };
  const end = endSignal((fail) =>
    ws.once('close', (code: number, reason: Buffer) => fail(`WebSocket ${code} ${reason}`)),
  );
  const stream: Stream = {
    send: (data) => {
      ws.send(data, { binary: true });
      return ws.bufferedAmount < HIGH_WATER_BYTES;
    },
    drained: () => new Promise((r) => raw().once('drain', r)),
    onData: () => {},
    ended: end.ended,
    close: () => {
      end.closing();
      ws.terminate();
    },
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    stream.onData(data);
    if (mode !== 'v1') return;
    const n = acks.processed(data.length);
    if (n > 0) ws.send(encode({ type: 'ack', bytes: n }));
    else if (!idleFlush) {
      idleFlush = true;
      setTimeout(flush, ACK_IDLE_DELAY_MS);
    }
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(stream));
    ws.once('error', reject);
  });
}

export interface Throughput {
  bytes: number;
  seconds: number;
}

/** `down`: the flood backend sends `bytes` in 64 KiB writes; time until all have arrived. */
export async function runDown(stream: Stream, bytes: number): Promise<Throughput> {
  let got = 0;
  const t0 = performance.now();
  const done = new Promise<void>((resolve) => {
    stream.onData = (chunk) => {
      got += chunk.length;
      if (got >= bytes) resolve();
    };
  });
  stream.send(Buffer.from(`${bytes}\n`));
  await Promise.race([done, stream.ended]);
  const seconds = (performance.now() - t0) / 1000;
  stream.close();
  return { bytes, seconds };
}

/** `up`: the client sends `bytes` in frames of `frameBytes`; time until the sink has them all. */
export async function runUp(
  stream: Stream,
  bytes: number,
  frameBytes: number,
): Promise<Throughput> {
  // 'x' and never CR: the raw codec turns a CR from the terminal into the host's newline.
  const frame = Buffer.alloc(frameBytes, 'x');
  const done = new Promise<void>((resolve) => {
    stream.onData = (chunk) => {
      if (chunk.includes('ok')) resolve();
    };
  });
  const t0 = performance.now();
  stream.send(Buffer.from(`${bytes}\n`));
  let sent = 0;
  while (sent < bytes) {
    const n = Math.min(frameBytes, bytes - sent);
    sent += n;
    if (!stream.send(n === frameBytes ? frame : frame.subarray(0, n)))
      await Promise.race([stream.drained(), stream.ended]);
  }
  await Promise.race([done, stream.ended]);
  const seconds = (performance.now() - t0) / 1000;
  stream.close();
  return { bytes, seconds };
}

/** `rtt`: 32-byte echo round trips, one at a time on each stream, all streams at once. */
export async function runRtt(streams: Stream[], rounds: number): Promise<number[]> {
  const payload = Buffer.alloc(32, 'r');
  const samplesUs: number[] = [];
  await Promise.all(
    streams.map(
      (stream) =>
        new Promise<void>((resolve, reject) => {
          stream.ended.catch(reject);
          let left = rounds;
          let got = 0;
          let t0 = 0n;
          const ping = (): void => {
            got = 0;
            t0 = process.hrtime.bigint();
            stream.send(payload);
          };
          stream.onData = (chunk) => {
            got += chunk.length;
            if (got < payload.length) return;
            samplesUs.push(Number(process.hrtime.bigint() - t0) / 1000);
            if (--left === 0) resolve();
            else ping();
          };
          ping();
        }),
    ),
  );
  return samplesUs;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
