/**
 * SECURITY.md section C: resource exhaustion before and after the upgrade. Each test shows
 * the bound (a status, a close code, a count) and the standard pass criteria: the canary
 * session keeps working, session gauges return to zero, fds return near their baseline.
 * C15/C16 are in flow-control.test.ts; C17–C19 in telnet-engine.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { test } from 'node:test';
import type { WebSocket } from 'ws';
import type { ConfigInput } from '../server/config/config.ts';
import { type FakeBackend, startBackend } from './helpers/backends.ts';
import {
  collect,
  openSession,
  type TestProxy,
  upgradeResponse,
  waitFor,
  withBackend,
  withProxy,
} from './helpers/proxy.ts';
import {
  encodeFrame,
  Op,
  rawConnect,
  rawSession,
  rawUpgrade,
  type readFrames,
  upgradeRequest,
} from './helpers/raw-ws.ts';
import {
  echoOnce,
  fdCount,
  fdsBackTo,
  openCanary,
  refusals,
  released,
  sleep,
} from './helpers/security.ts';
import { makeCert } from './helpers/tls-cert.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

interface Setup {
  proxy: TestProxy;
  echo: FakeBackend;
  recorder: FakeBackend;
}

/** A proxy with an echo host `echo` and a recorder host `rec`. */
async function setup(t: TestContext, extra: Partial<ConfigInput> = {}): Promise<Setup> {
  const recorder = await withBackend(t, startBackend());
  const proxy = await withProxy(t, {
    hosts: [{ id: 'echo' }, { id: 'rec', name: 'Recorder', target: recorder.target }],
    ...extra,
  });
  return { proxy, echo: proxy.backend, recorder };
}

/** Sends frames until the server closes (or `max` frames); returns the close and the count. */
async function sendUntilClosed(
  socket: Socket,
  reader: ReturnType<typeof readFrames>,
  next: (i: number) => Buffer,
  max: number,
  perTick = 1,
): Promise<{ code: number; sent: number }> {
  let closed: { code: number } | undefined;
  void reader.closed.then((c) => {
    closed = c;
  });
  let sent = 0;
  while (closed === undefined && sent < max && !socket.destroyed) {
    socket.write(next(sent++));
    if (sent % perTick === 0) await tick();
  }
  const { code } = await reader.closed;
  return { code, sent };
}

test('C1: slowloris headers are cut at headersTimeout; legitimate clients still connect', async (t) => {
  const { proxy } = await setup(t, {
    // 300 sockets from one address: the per-address cap (H9) is lifted to test the timeout.
    limits: { headersTimeout: '1s', maxConnectionsPerIp: 1000 },
  });
  const canary = await openCanary(proxy, 'echo');
  const baseline = fdCount();
  const request = upgradeRequest(proxy.port);
  const sockets: Socket[] = [];
  for (let i = 0; i < 300; i++) sockets.push(await rawConnect(proxy.port));
  const closedAt: number[] = [];
  const started = Date.now();
  for (const s of sockets) s.on('close', () => closedAt.push(Date.now() - started));
  let offset = 0;
  const drip = setInterval(() => {
    for (const s of sockets) if (!s.destroyed) s.write(request.slice(offset, offset + 1));
    offset++;
  }, 100);
  t.after(() => clearInterval(drip));
  // While they drip, a real client gets through.
  const ws = await openSession(proxy, 'echo', { protocol: 'binary' });
  await echoOnce(ws);
  ws.close();
  await waitFor(() => closedAt.length === sockets.length, 'every slowloris socket closed', 10_000);
  clearInterval(drip);
  const last = Math.max(...closedAt);
  assert.ok(last < 6000, `the last slow socket lasted ${last} ms (headersTimeout 1 s)`);
  assert.ok(offset < 60, 'cut long before the request was complete');
  await canary.roundTrip();
  canary.close();
  await released(proxy);
  await fdsBackTo(baseline);
  const timeouts = proxy.logs.filter((l) => l.event === 'http.refused' && l.status === 408);
  assert.equal(timeouts.length, sockets.length, 'one log line per refused connection');
});

test('C2: idle connections that never send a byte are closed; fds recover', async (t) => {
  const { proxy } = await setup(t, {
    // 300 sockets from one address: the per-address cap (H9) is lifted to test the timeout.
    limits: { headersTimeout: '1s', maxConnectionsPerIp: 1000 },
  });
  const canary = await openCanary(proxy, 'echo');
  const baseline = fdCount();
  const sockets: Socket[] = [];
  // Reading (resume) so that the server's close is seen at once.
  for (let i = 0; i < 300; i++) sockets.push((await rawConnect(proxy.port)).resume());
  assert.ok(fdCount() >= baseline + 300);
  await waitFor(() => sockets.every((s) => s.closed), 'idle sockets closed by the server', 10_000);
  await canary.roundTrip();
  canary.close();
  await released(proxy);
  await fdsBackTo(baseline);
  const timeouts = proxy.logs.filter((l) => l.event === 'http.refused' && l.status === 408);
  assert.equal(timeouts.length, sockets.length, 'one log line per refused connection');
});

test('C2: over TLS, sockets that never start the handshake are closed as fast', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-c2-'));
  const { cert, key } = makeCert(dir, 'c2');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const proxy = await withProxy(t, {
    tls: { cert, key },
    limits: { headersTimeout: '1s', maxConnectionsPerIp: 1000 },
  });
  const canary = await openCanary(proxy, 'echo');
  const baseline = fdCount();
  const sockets: Socket[] = [];
  for (let i = 0; i < 100; i++) sockets.push((await rawConnect(proxy.port)).resume());
  await waitFor(() => sockets.every((s) => s.closed), 'pre-handshake sockets closed', 10_000);
  await canary.roundTrip();
  canary.close();
  await released(proxy);
  await fdsBackTo(baseline);
  const refused = proxy.logs.filter((l) => l.event === 'tls.refused');
  assert.equal(refused.length, sockets.length, 'one log line per refused connection');
});

test('C3: 2000 headers get 431, a key pushed past maxHeadersCount gets 400; process alive', async (t) => {
  const { proxy, recorder } = await setup(t);
  const canary = await openCanary(proxy, 'echo');
  const many = Array.from({ length: 2000 }, (_, i) => [`X-Flood-${i}`, String(i)] as const);
  const big = await rawUpgrade(proxy.port, { path: '/ws?host=rec', headers: many });
  assert.equal(big.status, 431);
  // CVE-2024-37890: small headers that fit in 8 KiB, with the key after the 100th.
  const tiny = Array.from({ length: 1500 }, (_, i) => [`a${i % 10}`, ''] as const);
  const socket = await rawConnect(proxy.port);
  const readAll = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    socket.on('close', () => resolve(text));
  });
  socket.write(
    `GET /ws?host=rec HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nOrigin: ${proxy.origin}\r\n` +
      `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n` +
      tiny.map(([k, v]) => `${k}:${v}\r\n`).join('') +
      `Sec-WebSocket-Key: ${Buffer.alloc(16, 1).toString('base64')}\r\n\r\n`,
  );
  const answer = await readAll;
  assert.match(answer, /^HTTP\/1\.1 (400|431) /);
  await sleep(100);
  assert.equal(recorder.sockets.length, 0);
  const refused = proxy.logs.filter(
    (l) => l.event === 'http.refused' || l.msg === 'upgrade refused',
  );
  assert.deepEqual(
    refused.map((l) => l.status),
    [431, 400],
    'one log line per refusal',
  );
  await canary.roundTrip();
  canary.close();
});

test('C4: a 16 KB Sec-WebSocket-Protocol is refused at once; a long one under the size cap too', async (t) => {
  const { proxy, recorder } = await setup(t);
  const canary = await openCanary(proxy, 'echo');
  let started = Date.now();
  const huge = await rawUpgrade(proxy.port, { protocol: `b${' '.repeat(16_000)}x` });
  const hugeMs = Date.now() - started;
  assert.ok(huge.status === 431 || huge.status === 400, `status ${huge.status}`);
  started = Date.now();
  const long = await rawUpgrade(proxy.port, { protocol: `b${' '.repeat(7_000)}x` });
  const longMs = Date.now() - started;
  assert.equal(long.status, 400);
  const commas = await rawUpgrade(proxy.port, { protocol: `${'a,'.repeat(3000)}binary` });
  assert.equal(commas.status, 400, 'thousands of offers are refused');
  // Bounds, not speed: a regex blow-up would take seconds to minutes.
  assert.ok(hugeMs < 2000 && longMs < 2000, `answered in ${hugeMs} / ${longMs} ms`);
  await sleep(100);
  assert.equal(recorder.sockets.length, 0);
  const refused = proxy.logs.filter(
    (l) => l.event === 'http.refused' || l.msg === 'upgrade refused',
  );
  assert.equal(refused.length, 3, 'one log line per refusal');
  await canary.roundTrip();
  canary.close();
});

test('C5: hostile Sec-WebSocket-Extensions: no crash and no extension negotiated', async (t) => {
  const { proxy } = await setup(t);
  const offers = [
    'constructor',
    '__proto__',
    `x${';a=b'.repeat(1000)}`,
    'permessage-deflate; client_max_window_bits=8',
    'permessage-deflate; server_no_context_takeover; client_max_window_bits',
  ];
  for (const extensions of offers) {
    const res = await rawUpgrade(proxy.port, { extensions });
    res.socket.destroy();
    assert.equal(res.status, 101, extensions.slice(0, 40));
    assert.equal(res.headers['sec-websocket-extensions'], undefined, extensions.slice(0, 40));
  }
  await released(proxy);
});

test('C6: a 2 MiB message closes with 1009; a frame declaring 2^62 bytes closes with 1009 at once', async (t) => {
  const { proxy } = await setup(t);
  const canary = await openCanary(proxy, 'echo');
  const ws = await openSession(proxy, 'echo', { protocol: 'binary' });
  const got = collect(ws);
  ws.send(Buffer.alloc(2 * MiB, 0x61));
  assert.equal((await got.closed).code, 1009);
  // Only the header of a 2 MiB frame: the server refuses without waiting for the payload.
  const a = await rawSession(proxy.port);
  a.socket.write(
    encodeFrame({
      opcode: Op.BINARY,
      payload: Buffer.alloc(1024),
      declaredLength: BigInt(2 * MiB),
    }),
  );
  assert.equal((await a.reader.closed).code, 1009);
  const b = await rawSession(proxy.port);
  b.socket.write(encodeFrame({ opcode: Op.BINARY, declaredLength: 2n ** 62n }));
  assert.equal((await b.reader.closed).code, 1009);
  await Promise.all([a.reader.ended, b.reader.ended]);
  await canary.roundTrip();
  canary.close();
  await released(proxy);
  const codes = proxy.logs.filter((l) => l.event === 'session.close').map((l) => l.code);
  assert.deepEqual(codes.slice(0, 3), [1009, 1009, 1009], 'the log says what the client got');
});

test('C7: a flood of 1-byte fragments closes with 1008 after maxFragments', async (t) => {
  const { proxy } = await setup(t);
  const canary = await openCanary(proxy, 'echo');
  const rssBefore = process.memoryUsage().rss;
  const { socket, reader } = await rawSession(proxy.port);
  const one = Buffer.from('x');
  const { code, sent } = await sendUntilClosed(
    socket,
    reader,
    (i) => encodeFrame({ opcode: i === 0 ? Op.BINARY : Op.CONT, fin: false, payload: one }),
    100_000,
    16,
  );
  assert.equal(code, 1008);
  assert.ok(sent < 10_000, `needed ${sent} fragments to be cut off (maxFragments 64)`);
  assert.ok(process.memoryUsage().rss - rssBefore < 64 * MiB, 'RSS flat');
  await canary.roundTrip();
  canary.close();
  await released(proxy);
});

test('C8: a flood of empty continuation frames closes with 1008 the same way', async (t) => {
  const { proxy } = await setup(t);
  const canary = await openCanary(proxy, 'echo');
  const { socket, reader } = await rawSession(proxy.port);
  const { code, sent } = await sendUntilClosed(
    socket,
    reader,
    (i) => encodeFrame({ opcode: i === 0 ? Op.BINARY : Op.CONT, fin: false }),
    100_000,
    16,
  );
  assert.equal(code, 1008);
  assert.ok(sent < 10_000, `needed ${sent} empty fragments to be cut off`);
  await canary.roundTrip();
  canary.close();
  await released(proxy);
});

test('C9: one frame written a byte at a time is bounded by maxBufferedChunks (1008)', async (t) => {
  const { proxy } = await setup(t);
  const canary = await openCanary(proxy, 'echo');
  const { socket, reader } = await rawSession(proxy.port);
  socket.setNoDelay(true);
  const frame = encodeFrame({ opcode: Op.BINARY, payload: Buffer.alloc(60 * KiB, 0x62) });
  const { code, sent } = await sendUntilClosed(
    socket,
    reader,
    (i) => frame.subarray(i, i + 1),
    frame.length,
  );
  assert.equal(code, 1008);
  assert.ok(sent < frame.length, `the whole frame (${sent} writes) went through`);
  await canary.roundTrip();
  canary.close();
  await released(proxy);
});

test('C10: permessage-deflate is off, so a compressed (RSV1) frame is a protocol error (1002)', async (t) => {
  const { proxy } = await setup(t);
  const res = await rawSession(proxy.port, { extensions: 'permessage-deflate' });
  assert.equal(res.response.headers['sec-websocket-extensions'], undefined);
  // 50 MB of zeros deflate to ~50 KB; nothing inflates them here.
  res.socket.write(
    encodeFrame({ opcode: Op.BINARY, rsv1: true, payload: Buffer.from([0xf2, 0x48, 0x05, 0x00]) }),
  );
  assert.equal((await res.reader.closed).code, 1002);
  await released(proxy);
  assert.equal(proxy.logs.find((l) => l.event === 'session.close')?.code, 1002);
});

test('C11: per-address cap: beyond 20 sessions from one address, 429; another address is fine', async (t) => {
  const { proxy } = await setup(t, {
    limits: { upgradeBurst: 1000, upgradesPerIpPerMinute: 1000 },
  });
  const canary = await openCanary(proxy, 'echo');
  const sessions: WebSocket[] = [];
  for (let i = 0; i < 20; i++)
    sessions.push(await openSession(proxy, 'echo', { protocol: 'binary' }));
  const extra = await Promise.all(
    Array.from({ length: 30 }, () =>
      upgradeResponse(proxy, '/ws?host=echo', { protocol: 'binary' }),
    ),
  );
  assert.deepEqual(new Set(extra.map((r) => r.status)), new Set([429]));
  assert.ok(
    extra.every((r) => Number(r.headers['retry-after']) > 0),
    'Retry-After on each',
  );
  assert.equal(refusals(proxy).length, 30, 'one log line per refusal');
  assert.equal(proxy.porthole.sessions.size, 21);
  await canary.roundTrip();
  for (const ws of sessions) await echoOnce(ws);
  for (const ws of sessions) ws.close();
  canary.close();
  await released(proxy);
});

test('C11: the upgrade rate per address (burst 20) is enforced too', async (t) => {
  const { proxy } = await setup(t, { limits: { upgradeBurst: 20, upgradesPerIpPerMinute: 10 } });
  const results = [];
  for (let i = 0; i < 25; i++) {
    const res = await upgradeResponse(proxy, '/ws?host=echo', { protocol: 'binary' });
    results.push(res.status);
  }
  assert.equal(results.filter((s) => s === 101).length, 20);
  assert.equal(results.filter((s) => s === 429).length, 5);
  const other = await upgradeResponse(proxy, '/ws?host=echo', {
    protocol: 'binary',
    localAddress: '127.0.0.2',
  });
  assert.equal(other.status, 101);
  await released(proxy);
});

test('C12: the global cap answers 503 with Retry-After; existing sessions are intact', async (t) => {
  const { proxy } = await setup(t, { limits: { maxSessions: 10 } });
  const sessions: WebSocket[] = [];
  for (let i = 0; i < 10; i++)
    sessions.push(await openSession(proxy, 'echo', { protocol: 'binary' }));
  const extra = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      upgradeResponse(proxy, '/ws?host=echo', {
        protocol: 'binary',
        localAddress: `127.0.0.${2 + i}`,
      }),
    ),
  );
  assert.deepEqual(
    extra.map((r) => r.status),
    Array(10).fill(503),
  );
  assert.ok(extra.every((r) => Number(r.headers['retry-after']) > 0));
  assert.equal(refusals(proxy).length, 10);
  for (const ws of sessions) await echoOnce(ws);
  for (const ws of sessions) ws.close();
  await released(proxy);
  // Capacity comes back once sessions end.
  assert.equal((await upgradeResponse(proxy, '/ws?host=echo', { protocol: 'binary' })).status, 101);
  await released(proxy);
});

test('C13: a message flood is slowed to the budget (reading pauses), never closed; nothing is lost; the canary is fine', async (t) => {
  const { proxy, recorder } = await setup(t, { limits: { maxMessagesPerSecond: 200 } });
  const canary = await openCanary(proxy, 'echo');
  const ws = await openSession(proxy, 'rec', { protocol: 'binary' });
  const got = collect(ws);
  const total = 20_000;
  for (let i = 0; i < total; i++) ws.send(Buffer.from([0x30 + (i % 10)]));
  const bytes = (): number => Buffer.concat(recorder.received[0] ?? []).length;
  await waitFor(() => bytes() === total, 'every message at the backend', 60_000);
  const expected = Buffer.from(Array.from({ length: total }, (_, i) => 0x30 + (i % 10)));
  assert.ok(Buffer.concat(recorder.received[0] ?? []).equals(expected), 'in order, none lost');
  assert.equal(ws.readyState, ws.OPEN, 'still open');
  await canary.roundTrip();
  canary.close();
  const line = proxy.logs.find((l) => l.event === 'session.throttled');
  assert.equal(line?.budget, 'messages', 'the throttle engaged, logged once');
  assert.equal(proxy.logs.filter((l) => l.event === 'session.throttled').length, 1);
  ws.close();
  assert.equal((await got.closed).code, 1005);
  await released(proxy);
});

test('C14: a partial-frame trickle does not count as activity: the session ends at the idle timeout', async (t) => {
  const { proxy } = await setup(t, {
    limits: { idleTimeout: '1500ms', heartbeatInterval: 300, heartbeatTimeout: 2000 },
  });
  const { socket, reader } = await rawSession(proxy.port, { path: '/ws?host=rec' }, true);
  const frame = encodeFrame({ opcode: Op.BINARY, payload: Buffer.alloc(100, 0x41) });
  let i = 0;
  const started = Date.now();
  const trickle = setInterval(() => {
    if (!socket.destroyed) socket.write(frame.subarray(i, i + 1));
    i++;
  }, 150);
  t.after(() => clearInterval(trickle));
  const { code } = await reader.closed;
  const elapsed = Date.now() - started;
  clearInterval(trickle);
  assert.equal(code, 4001);
  assert.ok(elapsed < 6000, `closed after ${elapsed} ms`);
  assert.ok(i < frame.length, 'the frame never completed');
  assert.ok(
    reader.frames.some((f) => f.opcode === Op.PING),
    'pings were sent (and answered) meanwhile',
  );
  await released(proxy);
  assert.equal(proxy.porthole.sessions.countForIp('127.0.0.1'), 0, 'slot freed');
});

test('C20: soak: 2000 connect→echo→close cycles and 300 abrupt disconnects leave nothing behind', async (t) => {
  const { proxy, echo } = await setup(t, {
    limits: { upgradeBurst: 100_000, upgradesPerIpPerMinute: 100_000, maxSessionsPerIp: 1000 },
  });
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w);
  };
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const canary = await openCanary(proxy, 'echo');
  // Warm up once so lazily created handles count in the baseline.
  for (let i = 0; i < 20; i++) {
    const ws = await openSession(proxy, 'echo', { protocol: 'binary' });
    await echoOnce(ws);
    ws.close();
  }
  await waitFor(() => proxy.porthole.sessions.size === 1, 'warm-up released');
  const baseline = fdCount();
  const rssBefore = process.memoryUsage().rss;
  const cycle = async (): Promise<void> => {
    const ws = await openSession(proxy, 'echo', { protocol: 'binary' });
    const got = collect(ws);
    await echoOnce(ws);
    ws.close(1000);
    await got.closed;
  };
  const abrupt = async (i: number): Promise<void> => {
    if (i % 3 === 0) {
      // Mid-handshake: the request is cut off halfway.
      const s = await rawConnect(proxy.port);
      s.write(upgradeRequest(proxy.port).slice(0, 40));
      await tick();
      s.destroy();
      return;
    }
    const ws = await openSession(proxy, 'echo', { protocol: 'binary' });
    if (i % 3 === 1) ws.send(Buffer.from('half a thought'));
    ws.terminate();
  };
  const workers = 16;
  let next = 0;
  const total = 2300;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < total) {
        const i = next++;
        if (i % 23 === 0 || i % 23 === 11 || i % 23 === 17) await abrupt(i);
        else await cycle();
      }
    }),
  );
  await waitFor(() => proxy.porthole.sessions.size === 1, 'every soak session released', 10_000);
  await canary.roundTrip();
  canary.close();
  await released(proxy);
  await fdsBackTo(baseline, 20, 10_000);
  await waitFor(
    () => echo.sockets.every((s) => s.destroyed),
    'every backend socket closed',
    10_000,
  );
  const growth = process.memoryUsage().rss - rssBefore;
  assert.ok(growth < 150 * MiB, `RSS grew by ${Math.round(growth / MiB)} MiB`);
  assert.deepEqual(
    warnings.map((w) => w.name),
    [],
    'no MaxListenersExceededWarning or other process warnings',
  );
  assert.ok(proxy.porthole.sessions.totalOpened >= 2000);
});
