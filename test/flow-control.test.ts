/**
 * Flow-control mechanics (issue 4): pause at the high-water mark, resume at the low-water
 * mark, the hard cap closes with 1008 (codec writes such as GMCP replies count too), over-acks
 * are refused, binary clients stay bounded, and a browser held back by a host that does not
 * read is not taken for a dead peer.
 * These assert byte counts and states, never timings.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import type { Codec } from '../server/codec/codec.ts';
import { READ_BUFFER_BYTES } from '../server/targets/dial.ts';
import { floodBackend, noReadBackend } from './helpers/backends.ts';
import { collect, openSession, waitFor, withProxy } from './helpers/proxy.ts';
import { sleep } from './helpers/security.ts';

const KiB = 1024;

test('C15: porthole.v1: the backend is paused once the unacknowledged window is full, and resumes on ack', async (t) => {
  const proxy = await withProxy(t, {
    backend: floodBackend(16 * KiB),
    hosts: [{ id: 'flood', name: 'Flood' }],
    limits: { highWaterBytes: '256KiB', lowWaterBytes: '64KiB' },
  });
  const ws = await openSession(proxy, 'flood');
  const got = collect(ws);
  await waitFor(() => got.bytes().length >= 256 * KiB, 'a full window');
  await sleep(300);
  const stalled = got.bytes().length;
  // Without acks the server stops at the window (plus at most one backend read).
  assert.ok(
    stalled >= 256 * KiB && stalled <= 256 * KiB + READ_BUFFER_BYTES,
    `received ${stalled} bytes without acking`,
  );
  await sleep(300);
  assert.equal(got.bytes().length, stalled, 'nothing more arrives while nothing is acknowledged');
  // Acking down to the low-water mark resumes the flow.
  ws.send(JSON.stringify({ type: 'ack', bytes: stalled - 32 * KiB }));
  await waitFor(() => got.bytes().length > stalled + 64 * KiB, 'flow resumed after ack');
});

test('porthole.v1: acking more than was sent closes the session with 1008', async (t) => {
  const proxy = await withProxy(t, {
    backend: floodBackend(16 * KiB),
    hosts: [{ id: 'flood', name: 'Flood' }],
  });
  const ws = await openSession(proxy, 'flood');
  const got = collect(ws);
  await waitFor(() => got.bytes().length > 0, 'some data');
  ws.send(JSON.stringify({ type: 'ack', bytes: 1024 * 1024 * 1024 }));
  const { code, reason } = await got.closed;
  assert.equal(code, 1008);
  assert.match(reason, /acknowledged more/);
});

test('C15: binary client that stops reading: server memory for the session stays bounded', async (t) => {
  const proxy = await withProxy(t, {
    backend: floodBackend(),
    hosts: [{ id: 'flood', name: 'Flood' }],
    limits: { highWaterBytes: '512KiB', lowWaterBytes: '128KiB' },
  });
  const ws = await openSession(proxy, 'flood', { protocol: 'binary' });
  const raw = (ws as unknown as { _socket: Socket })._socket;
  raw.pause();
  const rssBefore = process.memoryUsage().rss;
  let maxBuffered = 0;
  for (let i = 0; i < 30; i++) {
    await sleep(50);
    maxBuffered = Math.max(maxBuffered, proxy.porthole.sessions.bufferedBytes());
  }
  assert.ok(maxBuffered > 0, 'the flood reached the server');
  assert.ok(
    maxBuffered <= 512 * KiB + 256 * KiB,
    `server held ${maxBuffered} bytes for a stalled client`,
  );
  assert.ok(
    process.memoryUsage().rss - rssBefore < 64 * 1024 * KiB,
    'RSS did not grow with the flood',
  );
  assert.equal(proxy.porthole.sessions.size, 1, 'a slow reader under the cap is not disconnected');
  raw.resume();
  const got = collect(ws);
  await waitFor(() => got.bytes().length > 1024 * KiB, 'flow resumes when the client reads again');
});

test('C15: the hard per-session cap closes an overrunning session with 1008', async (t) => {
  const proxy = await withProxy(t, {
    backend: floodBackend(),
    hosts: [{ id: 'flood', name: 'Flood' }],
    // A cap below the high-water mark forces the overrun the cap exists for.
    limits: { highWaterBytes: '8MiB', lowWaterBytes: '1MiB', sessionBufferCapBytes: '256KiB' },
  });
  const ws = await openSession(proxy, 'flood', { protocol: 'binary' });
  (ws as unknown as { _socket: Socket })._socket.pause();
  await waitFor(() => proxy.porthole.sessions.size === 0, 'cap enforcement');
  const line = proxy.logs.find((l) => l.event === 'session.close');
  assert.equal(line?.code, 1008);
  assert.match(String(line?.reason), /slow consumer/);
});

test('C16: browser → backend: a host that does not read pauses the WebSocket; memory stays bounded', async (t) => {
  const proxy = await withProxy(t, {
    backend: noReadBackend(),
    hosts: [{ id: 'sink', name: 'Sink' }],
    limits: { maxBytesPerSecond: '1GiB' },
  });
  const ws = await openSession(proxy, 'sink', { protocol: 'binary' });
  const frame = Buffer.alloc(64 * KiB, 0x61);
  let sent = 0;
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    // Keep the client's own queue topped up; the server must refuse to take more than it can pass on.
    while (ws.bufferedAmount < 4 * 1024 * KiB) {
      ws.send(frame);
      sent += frame.length;
    }
    await sleep(20);
  }
  const held = proxy.porthole.sessions.bufferedBytes();
  assert.ok(sent > 8 * 1024 * KiB, `client offered ${sent} bytes`);
  assert.ok(held <= 4 * 1024 * KiB, `server held ${held} bytes for a host that does not read`);
  assert.ok(ws.bufferedAmount > 0, 'the client is the one left holding its unsent bytes');
  assert.equal(proxy.porthole.sessions.size, 1);
});

test('porthole.v1: a fast download acknowledged every 64 KiB is not mistaken for a message flood', async (t) => {
  const proxy = await withProxy(t, {
    backend: floodBackend(),
    hosts: [{ id: 'flood', name: 'Flood' }],
  });
  const ws = await openSession(proxy, 'flood');
  const got = collect(ws);
  let pending = 0;
  let acks = 0;
  ws.on('message', (d: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    pending += d.length;
    if (pending >= 64 * KiB) {
      ws.send(JSON.stringify({ type: 'ack', bytes: pending }));
      pending = 0;
      acks++;
    }
  });
  await waitFor(() => acks > 600, 'more acks than the per-second message limit', 20_000);
  assert.equal(proxy.porthole.sessions.size, 1, 'still connected');
  ws.close();
  await got.closed;
});

test('C13: tiny acks still count as messages: a flood of them is throttled, not closed', async (t) => {
  const proxy = await withProxy(t, {
    backend: floodBackend(1024),
    hosts: [{ id: 'flood', name: 'Flood' }],
    limits: { maxMessagesPerSecond: 100 },
  });
  const ws = await openSession(proxy, 'flood');
  const got = collect(ws);
  for (let i = 0; i < 400; i++) ws.send(JSON.stringify({ type: 'ack', bytes: 0 }));
  await waitFor(
    () => proxy.logs.some((l) => l.event === 'session.throttled' && l.budget === 'messages'),
    'the message budget throttles',
  );
  assert.equal(proxy.porthole.sessions.size, 1, 'still connected');
  ws.close();
  await got.closed;
});

test('codec writes (GMCP, negotiation) obey the per-session cap too', async (t) => {
  const backend = noReadBackend();
  const big = new Uint8Array(60 * 1024).fill(0x61);
  const gmcpCodec = (): Codec => ({
    start: () => [],
    fromBackend: (chunk) => [{ kind: 'data', bytes: chunk }],
    fromClient: (bytes) => bytes,
    resize: () => [],
    gmcp: () => [{ kind: 'send', bytes: big }],
  });
  const proxy = await withProxy(
    t,
    { backend, hosts: [{ id: 'mud', name: 'MUD' }], limits: { sessionBufferCapBytes: '1MiB' } },
    { createCodec: gmcpCodec },
  );
  const ws = await openSession(proxy, 'mud');
  const got = collect(ws);
  await waitFor(
    () => got.control.some((m) => m.type === 'status' && m.state === 'connected'),
    'connected',
  );
  let maxHeld = 0;
  const timer = setInterval(() => {
    maxHeld = Math.max(maxHeld, proxy.porthole.sessions.bufferedBytes());
    if (ws.readyState === ws.OPEN)
      ws.send(JSON.stringify({ type: 'gmcp', package: 'Char.Say', data: 'x' }));
  }, 5);
  t.after(() => clearInterval(timer));
  // Offered: ~12 MB/s of GMCP replies to a host that reads nothing, for 2.5 s.
  await new Promise((r) => setTimeout(r, 2500));
  clearInterval(timer);
  // Held back (the WebSocket is paused) or ended as a slow consumer; never more than the cap.
  assert.ok(maxHeld <= 1024 * 1024 + 2 * big.length, `held ${maxHeld} bytes`);
  assert.ok(maxHeld > 0, 'the writes did reach the server');
  const closeLine = proxy.logs.find((l) => l.event === 'session.close');
  if (closeLine !== undefined) assert.equal(closeLine.code, 1008);
});

test('a browser held back by a host that does not read is not killed as a dead peer', async (t) => {
  const proxy = await withProxy(t, {
    backend: noReadBackend(),
    hosts: [{ id: 'sink', name: 'Sink' }],
    limits: { heartbeatInterval: 300, heartbeatTimeout: 300, maxBytesPerSecond: '1GiB' },
  });
  const ws = await openSession(proxy, 'sink', { protocol: 'binary' });
  const frame = Buffer.alloc(64 * 1024, 0x62);
  for (let i = 0; i < 64; i++) ws.send(frame);
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(proxy.porthole.sessions.size, 1, 'still open after several missed heartbeats');
  assert.equal(
    proxy.logs.filter((l) => l.msg === 'browser stopped answering pings').length,
    0,
    'no heartbeat verdict while paused',
  );
});
