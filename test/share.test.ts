/**
 * Spectators (issue 13): watch links, the replay a late spectator gets, live output, input
 * refused, revocation, who may watch, the per-session cap and a slow spectator cut while the
 * owner goes on. Real loopback sockets: an echo or flood backend, Porthole, ws clients.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { resolveConfig } from '../server/config/config.ts';
import { OutputTail } from '../server/session/output-tail.ts';
import { SUBPROTOCOL } from '../shared/protocol.ts';
import { startBackend } from './helpers/backends.ts';
import {
  type Collected,
  collect,
  openSession,
  type TestProxy,
  upgradeStatus,
  waitFor,
  withProxy,
} from './helpers/proxy.ts';

type Control = Record<string, unknown>;

async function watch(
  proxy: TestProxy,
  token: string,
  headers: Record<string, string> = {},
): Promise<{ ws: WebSocket; got: Collected }> {
  const ws = new WebSocket(`${proxy.url}/ws?watch=${token}`, SUBPROTOCOL, {
    origin: proxy.origin,
    headers,
  });
  const got = collect(ws);
  await once(ws, 'open');
  return { ws, got };
}

const lastOf = (got: Collected, type: string): Control | undefined =>
  got.control.filter((m) => m.type === type).at(-1);

async function share(ws: WebSocket, got: Collected, ttl = 600): Promise<string> {
  const before = got.control.length;
  ws.send(JSON.stringify({ type: 'share', ttl }));
  await waitFor(() => got.control.slice(before).some((m) => m.type === 'shared'), 'shared');
  const url = String(lastOf(got, 'shared')?.url);
  const token = /\/watch\/([A-Za-z0-9_-]+)$/.exec(url)?.[1];
  assert.ok(token !== undefined, url);
  return token;
}

test('a spectator gets hello (spectator), the recent output, then live output; owner sees the count', async (t) => {
  const proxy = await withProxy(t, { hosts: [{ id: 'echo', share: true }] });
  const owner = await openSession(proxy, 'echo');
  const mine = collect(owner);
  owner.send(JSON.stringify({ type: 'resize', cols: 100, rows: 30 }));
  owner.send(Buffer.from('before the share\r\n'));
  await waitFor(() => mine.bytes().toString().includes('before the share'), 'echo');
  const token = await share(owner, mine);
  const shared = lastOf(mine, 'shared');
  assert.match(String(shared?.url), /^\/watch\/[A-Za-z0-9_-]{22}$/);
  assert.ok(Number(shared?.expiresAt) > Date.now() + 590_000);

  const { got } = await watch(proxy, token);
  await waitFor(() => got.bytes().toString().includes('before the share'), 'replay');
  const hello = got.control.find((m) => m.type === 'hello');
  assert.equal(hello?.role, 'spectator');
  assert.deepEqual(hello?.size, { cols: 100, rows: 30 });
  await waitFor(() => lastOf(mine, 'viewers')?.count === 1, 'viewers 1');

  owner.send(Buffer.from('live line\r\n'));
  await waitFor(() => got.bytes().toString().includes('live line'), 'live output');
  // Exactly what the owner saw, from the first byte: no byte lost or doubled between replay and live.
  assert.equal(got.bytes().toString(), mine.bytes().toString());
  owner.send(JSON.stringify({ type: 'resize', cols: 90, rows: 20 }));
  await waitFor(() => lastOf(got, 'size')?.cols === 90, 'size follows the owner');
});

test('S3: spectator input: a binary frame or gmcp closes it with 1008 and never reaches the host', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [{ id: 'echo', share: true }],
    limits: { maxMessagesPerSecond: 100 },
  });
  const owner = await openSession(proxy, 'echo');
  const mine = collect(owner);
  const token = await share(owner, mine);
  for (const frame of [
    Buffer.from('rm -rf /\r\n'),
    JSON.stringify({ type: 'gmcp', package: 'Core.Hello' }),
  ]) {
    const { ws, got } = await watch(proxy, token);
    // ack, resize and ping are what our client sends anyway: accepted, answered, ignored.
    ws.send(JSON.stringify({ type: 'resize', cols: 10, rows: 5 }));
    ws.send(JSON.stringify({ type: 'ping', t: 1 }));
    await waitFor(() => got.control.some((m) => m.type === 'pong'), 'pong');
    ws.send(frame);
    assert.equal((await got.closed).code, 1008);
  }
  // A flood of pings is cut, not answered forever.
  const flood = await watch(proxy, token);
  for (let i = 0; i < 200; i++) flood.ws.send(JSON.stringify({ type: 'ping', t: i }));
  const cut = await flood.got.closed;
  assert.deepEqual(cut, { code: 1008, reason: 'too many messages' });
  owner.send(Buffer.from('owner\r\n'));
  await waitFor(() => mine.bytes().toString().includes('owner'), 'owner still works');
  const seen = Buffer.concat(proxy.backend.received[0] ?? []).toString();
  assert.equal(seen, 'owner\r\n', 'the host got only the owner’s bytes');
  assert.ok(proxy.logs.some((l) => l.event === 'spectator.refused'));
  await waitFor(() => lastOf(mine, 'viewers')?.count === 0, 'viewers back to 0');
});

test('S1: unshare closes every spectator with 4010 and the link is dead (404)', async (t) => {
  const proxy = await withProxy(t, { hosts: [{ id: 'echo', share: true }] });
  const owner = await openSession(proxy, 'echo');
  const mine = collect(owner);
  const token = await share(owner, mine);
  const a = await watch(proxy, token);
  const b = await watch(proxy, token);
  await waitFor(() => lastOf(mine, 'viewers')?.count === 2, 'viewers 2');
  const metric = async (name: string): Promise<string | undefined> => {
    const text = await (await fetch(`${proxy.origin}/metrics`)).text();
    return new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1];
  };
  assert.equal(await metric('porthole_spectators'), '2');
  assert.equal(await metric('porthole_watch_links'), '1');
  owner.send(JSON.stringify({ type: 'unshare' }));
  assert.equal((await a.got.closed).code, 4010);
  assert.equal((await b.got.closed).code, 4010);
  await waitFor(() => lastOf(mine, 'viewers')?.count === 0, 'viewers 0');
  assert.equal(await upgradeStatus(proxy, `/ws?watch=${token}`), 404);
  assert.equal(await metric('porthole_spectators'), '0');
  assert.equal(await metric('porthole_watch_links'), '0');
  // The owner's session is untouched.
  owner.send(Buffer.from('still here\r\n'));
  await waitFor(() => mine.bytes().toString().includes('still here'), 'owner goes on');
});

test('S1: unknown tokens get 404; share on a host without share: true is an error message, not a close', async (t) => {
  const proxy = await withProxy(t, { hosts: [{ id: 'echo' }] });
  assert.equal(await upgradeStatus(proxy, `/ws?watch=${'A'.repeat(22)}`), 404);
  assert.equal(await upgradeStatus(proxy, '/ws?watch=../../etc'), 404);
  const owner = await openSession(proxy, 'echo');
  const mine = collect(owner);
  owner.send(JSON.stringify({ type: 'share', ttl: 60 }));
  await waitFor(() => mine.control.some((m) => m.type === 'error'), 'error');
  assert.equal(lastOf(mine, 'error')?.code, 'share-unavailable');
  owner.send(Buffer.from('ok\r\n'));
  await waitFor(() => mine.bytes().toString().includes('ok'), 'session goes on');
});

test('S1: the session ending closes its spectators (1000) and the link', async (t) => {
  const proxy = await withProxy(t, { hosts: [{ id: 'echo', share: true }] });
  const owner = await openSession(proxy, 'echo');
  const mine = collect(owner);
  const token = await share(owner, mine);
  const { got } = await watch(proxy, token);
  owner.close(1000);
  assert.equal((await got.closed).code, 1000);
  assert.equal(await upgradeStatus(proxy, `/ws?watch=${token}`), 404);
});

test('S1: a link lives at most sharing.maxTtl: then spectators get 4010 and the token 404', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [{ id: 'echo', share: true }],
    sharing: { maxTtl: '2s' },
  });
  const owner = await openSession(proxy, 'echo');
  const mine = collect(owner);
  const token = await share(owner, mine, 3600);
  const expiresAt = Number(lastOf(mine, 'shared')?.expiresAt);
  assert.ok(expiresAt <= Date.now() + 2000, 'ttl cut to maxTtl');
  const { got } = await watch(proxy, token);
  const closed = await got.closed;
  assert.equal(closed.code, 4010);
  assert.equal(closed.reason, 'the link expired');
  assert.equal(await upgradeStatus(proxy, `/ws?watch=${token}`), 404);
});

test('S4: max spectators per session: the next one is refused with 503', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [{ id: 'echo', share: true }],
    sharing: { maxSpectators: 2 },
  });
  const owner = await openSession(proxy, 'echo');
  const token = await share(owner, collect(owner));
  await watch(proxy, token);
  await watch(proxy, token);
  assert.equal(await upgradeStatus(proxy, `/ws?watch=${token}`), 503);
});

test('S2: who may watch: signed-in by default, a group list, or anyone with the link', async (t) => {
  const alice = 'alice-token-0123456789';
  const bob = 'bobby-token-0123456789';
  const proxy = await withProxy(t, {
    auth: {
      mode: 'token',
      tokens: [
        { name: 'alice', token: alice, groups: ['players'] },
        { name: 'bob', token: bob, groups: ['staff'] },
      ],
    },
    hosts: [
      { id: 'open', share: true, watchers: 'anyone' },
      { id: 'signed', share: true },
      { id: 'staff', share: true, watchers: { groups: ['staff'] } },
    ],
  });
  const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const tokens: Record<string, string> = {};
  for (const id of ['open', 'signed', 'staff']) {
    const owner = await openSession(proxy, id, as(alice));
    tokens[id] = await share(owner, collect(owner));
  }
  assert.equal(await upgradeStatus(proxy, `/ws?watch=${tokens.open}`), 101);
  assert.equal(await upgradeStatus(proxy, `/ws?watch=${tokens.signed}`), 401);
  assert.equal(await upgradeStatus(proxy, `/ws?watch=${tokens.signed}`, as(bob)), 101);
  assert.equal(await upgradeStatus(proxy, `/ws?watch=${tokens.staff}`, as(alice)), 404);
  assert.equal(await upgradeStatus(proxy, `/ws?watch=${tokens.staff}`, as(bob)), 101);
});

test('S4: a slow spectator is cut with 4011; the owner gets every byte and never waits for it', async (t) => {
  const total = 8 * 1024 * 1024;
  const payload = Buffer.alloc(total);
  for (let i = 0; i < total; i++) payload[i] = 0x41 + (i % 26);
  const proxy = await withProxy(t, {
    hosts: [{ id: 'flood', share: true }],
    sharing: { spectatorBufferBytes: 64 * 1024 },
    // Sends the payload once the owner types "go".
    backend: startBackend((s) => s.once('data', () => s.write(payload))),
  });
  const owner = await openSession(proxy, 'flood');
  const mine = collect(owner);
  let received = 0;
  owner.on('message', (d: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    received += d.length;
    owner.send(JSON.stringify({ type: 'ack', bytes: d.length }));
  });
  const token = await share(owner, mine);
  const slow = await watch(proxy, token);
  // The spectator stops reading: its socket fills, then Porthole's buffer for it.
  const raw = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket;
  raw.pause();
  owner.send(Buffer.from('go'));
  await waitFor(() => received >= total, 'owner receives everything', 60_000);
  assert.ok(mine.bytes().equals(payload));
  await waitFor(() => proxy.logs.some((l) => l.event === 'spectator.slow'), 'spectator cut');
  raw.resume();
  assert.equal((await slow.got.closed).code, 4011);
  await waitFor(() => lastOf(mine, 'viewers')?.count === 0, 'viewers 0');
});

test('no cost when unused: a plain host’s session has one viewer (the owner); share adds the tail', async (t) => {
  const proxy = await withProxy(t, { hosts: [{ id: 'plain' }, { id: 'shared', share: true }] });
  const counts = new Map<string, number>();
  proxy.porthole.on('session', (s) => counts.set(s.hostId, s.bridge.output.viewerCount));
  for (const id of ['plain', 'shared']) {
    const ws = await openSession(proxy, id);
    ws.send(Buffer.from('x'));
    await waitFor(() => counts.has(id), `session on ${id}`);
  }
  assert.equal(counts.get('plain'), 1);
  assert.equal(counts.get('shared'), 2);
});

test('under a basePath the link and the watch endpoint live under it too', async (t) => {
  const proxy = await withProxy(t, { basePath: '/terminal', hosts: [{ id: 'echo', share: true }] });
  const owner = new WebSocket(`${proxy.url}/terminal/ws?host=echo`, SUBPROTOCOL, {
    origin: proxy.origin,
  });
  const mine = collect(owner);
  await once(owner, 'open');
  owner.send(JSON.stringify({ type: 'share', ttl: 60 }));
  await waitFor(() => mine.control.some((m) => m.type === 'shared'), 'shared');
  const url = String(lastOf(mine, 'shared')?.url);
  assert.match(url, /^\/terminal\/watch\/[A-Za-z0-9_-]{22}$/);
  const token = url.split('/').pop() ?? '';
  assert.equal(await upgradeStatus(proxy, `/terminal/ws?watch=${token}`), 101);
  assert.equal(await upgradeStatus(proxy, `/ws?watch=${token}`), 404);
  // The client build's watch page (npm test builds before the unit tests), based at basePath.
  const page = await fetch(`${proxy.origin}/terminal/watch/${token}`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<base href="\/terminal\/" \/>[\s\S]*watch/);
});

test('spectators stay while the owner is away; a resumed owner gets its link and the count again', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [{ id: 'echo', share: true }],
    limits: { resume: '1m' },
  });
  const owner = await openSession(proxy, 'echo');
  const mine = collect(owner);
  owner.send(Buffer.from('before\r\n'));
  await waitFor(() => mine.bytes().toString().includes('before'), 'echo');
  const token = await share(owner, mine);
  const resume = mine.control.find((m) => m.type === 'hello')?.resume as { token: string };
  const { got } = await watch(proxy, token);
  await waitFor(() => lastOf(mine, 'viewers')?.count === 1, 'viewers 1');
  const received = mine.bytes().length;
  // The owner's network goes: no close frame, the session is held.
  owner.terminate();
  await waitFor(() => proxy.porthole.sessions.detachedCount === 1, 'detached');
  await watch(proxy, token);
  const back = await openSession(proxy, 'echo', {
    query: `resume=${resume.token}&from=${received}`,
  });
  const again = collect(back);
  await waitFor(() => again.control.some((m) => m.type === 'shared'), 'the link again');
  assert.equal(lastOf(again, 'shared')?.url, lastOf(mine, 'shared')?.url);
  await waitFor(
    () => lastOf(again, 'viewers')?.count === 2,
    'the count, with the one who joined meanwhile',
  );
  back.send(Buffer.from('after\r\n'));
  await waitFor(
    () => got.bytes().toString().includes('after'),
    'the first spectator still watching',
  );
});

test('S1: a link revoked while a spectator was being admitted: it is closed at once (4010)', async (t) => {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const proxy = await withProxy(
    t,
    { hosts: [{ id: 'echo', share: true }] },
    {
      // Sign-in that takes a while for spectators: the owner acts meanwhile.
      authenticate: async (req) => {
        if (req.url?.includes('watch=') === true) await held;
        return { user: 'someone', groups: [] };
      },
    },
  );
  const owner = await openSession(proxy, 'echo');
  const mine = collect(owner);
  const token = await share(owner, mine);
  const ws = new WebSocket(`${proxy.url}/ws?watch=${token}`, SUBPROTOCOL, { origin: proxy.origin });
  const got = collect(ws);
  await new Promise((r) => setTimeout(r, 100));
  owner.send(JSON.stringify({ type: 'unshare' }));
  await waitFor(() => lastOf(mine, 'viewers')?.count === 0, 'unshared');
  release();
  assert.equal((await got.closed).code, 4010);
  assert.equal(got.binary.length, 0, 'not one byte of the session');
});

test('OutputTail keeps the last N bytes and starts a wrapped replay at a line start', () => {
  const tail = new OutputTail(16);
  assert.equal(tail.snapshot().length, 0);
  tail.data(Buffer.from('hello '), 0);
  tail.data(Buffer.from('world'), 6);
  assert.equal(tail.snapshot().toString(), 'hello world');
  tail.data(Buffer.from('\r\nline two!'), 11);
  // 22 bytes written, 16 kept ("world\r\nline two!"): the replay starts after the newline.
  assert.equal(tail.snapshot().toString(), '\x1b[0mline two!');
  tail.data(Buffer.from('0123456789abcdefXYZ'), 22);
  assert.equal(tail.snapshot().toString(), '\x1b[0m3456789abcdefXYZ');
});

test('S2: config: bad sharing keys name the key', () => {
  const bad = (input: Record<string, unknown>): string => {
    try {
      resolveConfig({ hosts: [{ id: 'a', name: 'A', target: 'tcp://127.0.0.1:1' }], ...input });
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };
  assert.match(
    bad({
      hosts: [{ id: 'a', name: 'A', target: 'tcp://127.0.0.1:1', watchers: { groups: ['x'] } }],
    }),
    /hosts\[0\]\.watchers: a list of users or groups needs auth\.mode/,
  );
  assert.match(
    bad({
      auth: { mode: 'token', tokens: [{ name: 'a', token: 'a'.repeat(20) }] },
      hosts: [{ id: 'a', name: 'A', target: 'tcp://127.0.0.1:1', watchers: { groups: [] } }],
    }),
    /hosts\[0\]\.watchers: must name at least one user or group/,
  );
  assert.match(bad({ sharing: { maxSpectators: 0 } }), /sharing\.maxSpectators/);
  assert.match(
    bad({ sharing: { replayBytes: '1MiB', spectatorBufferBytes: '256KiB' } }),
    /sharing\.replayBytes: must not exceed sharing\.spectatorBufferBytes/,
  );
  assert.match(bad({ sharing: { spectatorBufferBytes: 'lots' } }), /sharing\.spectatorBufferBytes/);
  assert.match(
    bad({ hosts: [{ id: 'a', name: 'A', target: 'tcp://127.0.0.1:1', share: 'yes' }] }),
    /hosts\[0\]\.share/,
  );
});
