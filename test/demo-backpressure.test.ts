/**
 * Issue 9: the built-in demo host runs in-process, so it must honour backpressure like any
 * backend. Typists whose browsers never read must stall, not grow the process.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { SUBPROTOCOL } from '../shared/protocol.ts';
import { withProxy } from './helpers/proxy.ts';
import { encodeFrame, Op, rawSession } from './helpers/raw-ws.ts';
import { canaryRoundTrip, sleep } from './helpers/security.ts';

const MiB = 1024 * 1024;
/** What one typist may push before it stalls: session cap, socket and kernel buffers. */
const STALL_BOUND = 32 * MiB;
/** What an unbounded demo would accept (it echoes everything it is sent). */
const OFFERED = 48 * MiB;

/** Writes `bytes` of typed lines with backpressure; returns how many the server took before 5 s of stall. */
/** Bytes held in Buffers (socket write queues are made of them). */
function held(): number {
  const m = process.memoryUsage();
  return m.arrayBuffers + m.heapUsed;
}

async function type(socket: Socket, bytes: number): Promise<number> {
  const line = Buffer.concat([Buffer.alloc(4000, 'a'), Buffer.from('\r')]);
  const frame = encodeFrame({ opcode: Op.BINARY, payload: Buffer.concat(Array(13).fill(line)) });
  let sent = 0;
  while (sent < bytes && !socket.destroyed) {
    if (socket.write(frame)) {
      sent += frame.length;
      continue;
    }
    sent += frame.length;
    const drained = await Promise.race([
      new Promise<boolean>((r) => socket.once('drain', () => r(true))),
      sleep(5000).then(() => false),
    ]);
    if (!drained) break;
  }
  // What is still in our own send buffer never reached the server.
  return sent - socket.writableLength;
}

test('H1: typists that never read stall the demo host; the process stays bounded', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [
      { id: 'demo', name: 'Demo', target: 'builtin:demo', input: 'raw' },
      { id: 'echo', name: 'Echo' },
    ],
    limits: { maxBytesPerSecond: '1024MiB', maxMessagesPerSecond: 100_000 },
  });
  const typists = await Promise.all(
    [0, 1].map(() => rawSession(proxy.port, { path: '/ws?host=demo', protocol: SUBPROTOCOL })),
  );
  // Never read: what the server sends piles up in the kernel, then in the server.
  for (const { socket } of typists) socket.pause();
  const heldBefore = held();
  const accepted = await Promise.all(typists.map(({ socket }) => type(socket, OFFERED)));
  const grown = held() - heldBefore;
  for (const n of accepted)
    assert.ok(n < STALL_BOUND, `a non-reading typist got ${(n / MiB).toFixed(1)} MiB in`);
  assert.ok(grown < 32 * MiB, `buffers grew by ${(grown / MiB).toFixed(0)} MiB`);
  assert.equal(proxy.porthole.sessions.size, 2, 'the typists are slowed, not dropped');
  // Everyone else is served meanwhile.
  await canaryRoundTrip(proxy, 'echo', { localAddress: '127.0.0.2' });
  for (const { socket } of typists) socket.destroy();
});
