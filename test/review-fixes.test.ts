/**
 * Regressions found by review: a path that URL() cannot parse, lockout resets by a valid
 * credential, malformed cookies, codec writes past the cap, heartbeats while the browser
 * is held back, and sessions admitted after a drain began.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Codec } from '../server/codec/codec.ts';
import { echoBackend, noReadBackend } from './helpers/backends.ts';
import { collect, openSession, startProxy, upgradeStatus, waitFor } from './helpers/proxy.ts';
import { rawUpgrade } from './helpers/raw-ws.ts';

const TOKEN = 'a-valid-token-of-enough-length';

test('an upgrade path URL() cannot parse (//, /\\, //[) is a 400, not a crashed process', async (t) => {
  const backend = await echoBackend();
  const proxy = await startProxy({ hosts: [{ id: 'echo', name: 'Echo', target: backend.target }] });
  t.after(async () => {
    await proxy.close();
    await backend.close();
  });
  for (const path of ['//', '/\\', '//[']) {
    const res = await rawUpgrade(proxy.port, { path });
    assert.equal(res.status, 400, path);
  }
  const ws = await openSession(proxy, 'echo');
  const got = collect(ws);
  ws.send(Buffer.from('alive'));
  await waitFor(() => got.bytes().toString() === 'alive', 'the server still works');
});

test('A9: a valid credential does not wipe the failures of guesses from the same address', async (t) => {
  const backend = await echoBackend();
  const proxy = await startProxy({
    hosts: [{ id: 'echo', name: 'Echo', target: backend.target }],
    auth: { mode: 'token', tokens: [{ name: 'me', token: TOKEN }] },
  });
  t.after(async () => {
    await proxy.close();
    await backend.close();
  });
  const api = (token: string): Promise<Response> =>
    fetch(`http://127.0.0.1:${proxy.port}/api/info`, {
      headers: { authorization: `Bearer ${token}` },
    });
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    statuses.push((await api(`wrong-guess-number-${i}-xxxxxxxx`)).status);
    statuses.push((await api(TOKEN)).status);
  }
  statuses.push((await api('wrong-guess-number-5-xxxxxxxx')).status);
  statuses.push((await api(TOKEN)).status);
  assert.deepEqual(statuses, [401, 200, 401, 200, 401, 200, 401, 200, 401, 429]);
});

test('a malformed cookie is a 401 like any bad credential, not a server error', async (t) => {
  const proxy = await startProxy({
    hosts: [{ id: 'echo', name: 'Echo', target: 'tcp://127.0.0.1:1' }],
    auth: { mode: 'token', tokens: [{ name: 'me', token: TOKEN }] },
  });
  t.after(() => proxy.close());
  const res = await fetch(`http://127.0.0.1:${proxy.port}/api/info`, {
    headers: { cookie: 'porthole_token=%E0' },
  });
  assert.equal(res.status, 401);
  const up = await upgradeStatus(proxy, '/ws?host=echo', {
    headers: { cookie: 'porthole_token=%E0' },
  });
  assert.equal(up, 401);
});

test('codec writes (GMCP, negotiation) obey the per-session cap too', async (t) => {
  const backend = await noReadBackend();
  const big = new Uint8Array(60 * 1024).fill(0x61);
  const gmcpCodec = (): Codec => ({
    start: () => [],
    fromBackend: (chunk) => [{ kind: 'data', bytes: chunk }],
    fromClient: (bytes) => bytes,
    resize: () => [],
    gmcp: () => [{ kind: 'send', bytes: big }],
  });
  const proxy = await startProxy(
    {
      hosts: [{ id: 'mud', name: 'MUD', target: backend.target }],
      limits: { sessionBufferCapBytes: '1MiB' },
    },
    { createCodec: gmcpCodec },
  );
  t.after(async () => {
    await proxy.close();
    await backend.close();
  });
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
  const backend = await noReadBackend();
  const proxy = await startProxy({
    hosts: [{ id: 'sink', name: 'Sink', target: backend.target }],
    limits: { heartbeatInterval: 300, heartbeatTimeout: 300, maxBytesPerSecond: '1GiB' },
  });
  t.after(async () => {
    await proxy.close();
    await backend.close();
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

test('G10: an upgrade whose authentication finishes after the drain began is refused', async (t) => {
  const backend = await echoBackend();
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const proxy = await startProxy(
    { hosts: [{ id: 'echo', name: 'Echo', target: backend.target }] },
    {
      authenticate: async () => {
        await gate;
        return { user: 'slow', groups: [] };
      },
    },
  );
  t.after(async () => {
    await backend.close();
  });
  const pending = upgradeStatus(proxy, '/ws?host=echo');
  await new Promise((r) => setTimeout(r, 100));
  const closing = proxy.close();
  release();
  assert.equal(await pending, 503);
  await closing;
  assert.equal(backend.sockets.length, 0, 'nothing was dialled');
});
