/**
 * Flow-control mechanics (issue 4): pause at the high-water mark, resume at the low-water
 * mark, the hard cap closes with 1008, over-acks are refused, binary clients stay bounded.
 * These assert byte counts and states, never timings.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { READ_BUFFER_BYTES } from '../server/targets/dial.ts';
import { floodBackend, noReadBackend } from './helpers/backends.ts';
import { collect, openSession, startProxy, waitFor } from './helpers/proxy.ts';

const KiB = 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('C15: porthole.v1: the backend is paused once the unacknowledged window is full, and resumes on ack', async (t) => {
  const backend = await floodBackend(16 * KiB);
  const proxy = await startProxy({
    hosts: [{ id: 'flood', name: 'Flood', target: backend.target }],
    limits: { highWaterBytes: '256KiB', lowWaterBytes: '64KiB' },
  });
  t.after(async () => {
    await proxy.close();
    await backend.close();
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
  const backend = await floodBackend(16 * KiB);
  const proxy = await startProxy({
    hosts: [{ id: 'flood', name: 'Flood', target: backend.target }],
  });
  t.after(async () => {
    await proxy.close();
    await backend.close();
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
  const backend = await floodBackend();
  const proxy = await startProxy({
    hosts: [{ id: 'flood', name: 'Flood', target: backend.target }],
    limits: { highWaterBytes: '512KiB', lowWaterBytes: '128KiB' },
  });
  t.after(async () => {
    await proxy.close();
    await backend.close();
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
  const backend = await floodBackend();
  const proxy = await startProxy({
    hosts: [{ id: 'flood', name: 'Flood', target: backend.target }],
    // A cap below the high-water mark forces the overrun the cap exists for.
    limits: { highWaterBytes: '8MiB', lowWaterBytes: '1MiB', sessionBufferCapBytes: '256KiB' },
  });
  t.after(async () => {
    await proxy.close();
    await backend.close();
  });
  const ws = await openSession(proxy, 'flood', { protocol: 'binary' });
  (ws as unknown as { _socket: Socket })._socket.pause();
  await waitFor(() => proxy.porthole.sessions.size === 0, 'cap enforcement');
  const line = proxy.logs.find((l) => l.event === 'session.close');
  assert.equal(line?.code, 1008);
  assert.match(String(line?.reason), /slow consumer/);
});

test('C16: browser → backend: a host that does not read pauses the WebSocket; memory stays bounded', async (t) => {
  const backend = await noReadBackend();
  const proxy = await startProxy({
    hosts: [{ id: 'sink', name: 'Sink', target: backend.target }],
    limits: { maxBytesPerSecond: '1GiB' },
  });
  t.after(async () => {
    await proxy.close();
    await backend.close();
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
  const backend = await floodBackend();
  const proxy = await startProxy({
    hosts: [{ id: 'flood', name: 'Flood', target: backend.target }],
  });
  t.after(async () => {
    await proxy.close();
    await backend.close();
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
  const backend = await floodBackend(1024);
  const proxy = await startProxy({
    hosts: [{ id: 'flood', name: 'Flood', target: backend.target }],
    limits: { maxMessagesPerSecond: 100 },
  });
  t.after(async () => {
    await proxy.close();
    await backend.close();
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
