/**
 * Issue 16, routing without a token-aware balancer: two Porthole processes share a real
 * redis-server and advertise their addresses in it (`store.advertise`). A resume token or
 * watch link of instance A presented to instance B is relayed by B to A at the TCP level
 * (forward.ts), so the client gets A's session; A sees the client's address through a
 * signed X-Porthole-Forwarded-For, which a client cannot forge; with A gone, B answers as
 * before (4020 for a resume, 404 for a watch link).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { ConfigError, resolveConfig } from '../server/config/config.ts';
import { SUBPROTOCOL } from '../shared/protocol.ts';
import { echoBackend, type FakeBackend } from './helpers/backends.ts';
import { acking, counterBackend, expected } from './helpers/counter.ts';
import {
  freePort,
  type Instance,
  type RedisServer,
  startInstance,
  startRedis,
  stopChild,
} from './helpers/instances.ts';
import { startNginxHttp } from './helpers/nginx.ts';
import { type Collected, collect, waitFor } from './helpers/proxy.ts';
import { rawUpgrade } from './helpers/raw-ws.ts';

const dir = mkdtempSync(join(tmpdir(), 'porthole-forward-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('config: store.advertise (or advertiseEnv) is validated by name and gives a per-address instanceId', () => {
  const base = { hosts: [{ id: 'demo', name: 'Demo', target: 'builtin:demo' }] };
  const store = (extra: Record<string, unknown>) => ({
    ...base,
    store: { url: 'redis://127.0.0.1:6379', ...extra },
  });
  const one = resolveConfig(store({ advertiseEnv: 'POD_IP' }), { POD_IP: '10.1.2.3' });
  assert.equal(one.store?.advertise, '10.1.2.3');
  assert.match(one.instanceId ?? '', /^i[0-9a-f]{12}$/);
  const two = resolveConfig(store({ advertise: '10.1.2.4' }));
  assert.notEqual(two.instanceId, one.instanceId, 'another address, another id');
  assert.equal(resolveConfig(store({ advertise: '10.1.2.4' })).instanceId, two.instanceId);
  const named = resolveConfig({ ...store({ advertise: '[fd00::1]:8080' }), instanceId: 'a' });
  assert.equal(named.instanceId, 'a', 'a configured instanceId is kept');
  assert.equal(resolveConfig(base).instanceId, undefined, 'no store, no id');
  assert.throws(
    () => resolveConfig(store({ advertise: 'http://x/' })),
    /store\.advertise: must be/,
  );
  assert.throws(
    () => resolveConfig(store({ advertiseEnv: 'POD_IP' }), {}),
    (e: unknown) =>
      e instanceof ConfigError && /store\.advertiseEnv: POD_IP is not set/.test(e.message),
  );
  assert.throws(
    () => resolveConfig({ ...store({ advertise: '10.1.2.3' }), tls: { cert: 'c', key: 'k' } }),
    /store\.advertise: instances relay to each other over plain HTTP/,
  );
});

interface Setup {
  redis: RedisServer;
  a: Instance;
  b: Instance;
  counter: FakeBackend;
  echo: FakeBackend;
}

async function setup(t: import('node:test').TestContext): Promise<Setup> {
  const [counter, echo, redis] = await Promise.all([counterBackend(), echoBackend(), startRedis()]);
  const start = async (name: string): Promise<Instance> => {
    const port = await freePort();
    return startInstance(dir, `${name}-${redis.port}`, {
      listen: { host: '127.0.0.1', port },
      hosts: [
        { id: 'count', name: 'Count', target: counter.target },
        { id: 'echo', name: 'Echo', target: echo.target, share: true },
      ],
      limits: { resume: '2m', connectTimeout: '2s' },
      store: { url: redis.url, slotTtl: '3s', advertise: `127.0.0.1:${port}` },
    });
  };
  const a = await start('a');
  const b = await start('b');
  t.after(async () => {
    await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
    await redis.stop();
    await Promise.all([counter.close(), echo.close()]);
  });
  return { redis, a, b, counter, echo };
}

async function open(
  port: number,
  query: string,
  localAddress = '127.0.0.1',
): Promise<{ ws: WebSocket; got: Collected }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?${query}`, SUBPROTOCOL, {
    origin: `http://127.0.0.1:${port}`,
    localAddress,
  });
  const got = collect(ws);
  await once(ws, 'open');
  return { ws, got };
}

/** porthole_upgrade_relays_total{outcome} as the instance's /metrics (loopback) reports it. */
async function relays(i: Instance, outcome: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${i.port}/metrics`)).text();
  const m = new RegExp(
    `^porthole_upgrade_relays_total\\{outcome="${outcome}"\\} (\\d+)$`,
    'm',
  ).exec(text);
  return Number(m?.[1] ?? 0);
}

const hello = (got: Collected) => got.control.find((m) => m.type === 'hello');
const logLines = (i: Instance, event: string): Record<string, unknown>[] =>
  i
    .out()
    .split('\n')
    .filter((l) => l.includes(`"event":"${event}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('forward: a resume token of A presented to B reaches A: same backend connection, bytes after N once, the client address kept', async (t) => {
  const { a, b, counter } = await setup(t);
  const first = await open(a.port, 'host=count');
  await waitFor(() => hello(first.got) !== undefined, 'hello', 20_000);
  const token = (hello(first.got)?.resume as { token: string } | undefined)?.token ?? '';
  assert.match(token, /^i[0-9a-f]{12}\.[A-Za-z0-9_-]{22}$/, 'the token names instance A');
  await waitFor(() => first.got.bytes().length >= 32 * 1024, 'output on A', 20_000);
  (first.ws as unknown as { _socket: Socket })._socket.destroy();
  const before = first.got.bytes();
  assert.ok(before.equals(expected(0, before.length)), 'in order on A');
  const n = before.length;
  // The client comes back through B, from another address.
  const again = await open(b.port, `host=count&resume=${token}&from=${n}`, '127.0.0.7');
  await waitFor(() => hello(again.got) !== undefined, 'resumed hello', 20_000);
  assert.deepEqual(hello(again.got)?.resumed, { from: n });
  await waitFor(() => again.got.bytes().length >= 64 * 1024, 'output after the resume', 20_000);
  const rest = again.got.bytes();
  assert.ok(rest.equals(expected(n, rest.length)), 'bytes after N exactly once, in order');
  assert.equal(counter.sockets.length, 1, 'one backend connection throughout');
  await waitFor(() => logLines(a, 'session.resume').length === 1, 'resume logged on A');
  const relayed = logLines(b, 'upgrade.forwarded');
  assert.equal(relayed.length, 1, 'B relayed the resume once');
  assert.equal(relayed[0]?.kind, 'resume');
  assert.equal(await relays(b, 'relayed'), 1, 'counted in the metrics');
  const resumed = logLines(a, 'session.resume');
  assert.equal(resumed.length, 1, 'A took the resume');
  assert.equal(resumed[0]?.ip, '127.0.0.7', "A counts the client's address, not B's");
  again.ws.close(1000);
});

test("forward: a watch link of A opened on B shows A's output live", async (t) => {
  const { a, b } = await setup(t);
  const owner = await open(a.port, 'host=echo');
  await waitFor(() => hello(owner.got) !== undefined, 'hello', 20_000);
  owner.ws.send(Buffer.from('before the share\r\n'));
  await waitFor(() => owner.got.bytes().toString().includes('before the share'), 'echo');
  owner.ws.send(JSON.stringify({ type: 'share', ttl: 600 }));
  await waitFor(() => owner.got.control.some((m) => m.type === 'shared'), 'shared');
  const url = String(owner.got.control.find((m) => m.type === 'shared')?.url);
  const token = /\/watch\/([A-Za-z0-9._-]+)$/.exec(url)?.[1] ?? '';
  assert.match(token, /^i[0-9a-f]{12}\.[A-Za-z0-9_-]{22}$/, 'the link names instance A');
  const spectator = await open(b.port, `watch=${token}`, '127.0.0.8');
  await waitFor(
    () => spectator.got.control.some((m) => m.type === 'hello' && m.role === 'spectator'),
    'spectator hello',
    20_000,
  );
  await waitFor(() => spectator.got.bytes().toString().includes('before the share'), 'replay');
  owner.ws.send(Buffer.from('live from A\r\n'));
  await waitFor(() => spectator.got.bytes().toString().includes('live from A'), 'live output');
  assert.equal(logLines(b, 'upgrade.forwarded')[0]?.kind, 'watch');
  spectator.ws.close(1000);
  owner.ws.close(1000);
});

test('forward: X-Porthole-Forwarded-For sent to A directly is believed only when signed with the store key and fresh', async (t) => {
  const { a, redis } = await setup(t);
  const store = new Redis(redis.url);
  t.after(() => store.disconnect());
  const key = Buffer.from((await store.get('porthole:forward-key')) ?? '', 'base64');
  assert.equal(key.length, 32, 'the instances keep a 256-bit key in the store');
  const path = '/ws?host=echo';
  const header = (ip: string, at: number, k: Buffer): string => {
    const fields = `${ip} 0 ${at}`;
    const sig = createHmac('sha256', k).update(`${fields}\nGET ${path}`).digest('base64url');
    return `${fields} ${sig}`;
  };
  const attempt = (value: string) =>
    rawUpgrade(a.port, {
      path,
      protocol: SUBPROTOCOL,
      headers: [['X-Porthole-Forwarded-For', value]],
    });
  const forged = await attempt(header('10.9.9.9', Date.now(), Buffer.alloc(32, 7)));
  assert.equal(forged.status, 403, 'a header signed with another key is refused');
  const stale = await attempt(header('10.9.9.9', Date.now() - 120_000, key));
  assert.equal(stale.status, 403, 'a header older than 30 s is refused');
  const unsigned = await attempt('10.9.9.9');
  assert.equal(unsigned.status, 403, 'a bare address is refused');
  await waitFor(() => logLines(a, 'upgrade.refused').length === 3, 'three refusals logged');
  const reasons = logLines(a, 'upgrade.refused').map((l) => l.reason);
  assert.deepEqual(reasons, [
    'forwarded-for bad-signature',
    'forwarded-for stale',
    'forwarded-for malformed',
  ]);
  assert.equal(logLines(a, 'session.open').length, 0, 'no session from a forged address');
  // The control: the same request signed with the store's key moves the address.
  const good = await attempt(header('10.9.9.9', Date.now(), key));
  assert.equal(good.status, 101);
  await waitFor(() => logLines(a, 'session.open').length === 1, 'session open', 20_000);
  assert.equal(logLines(a, 'session.open')[0]?.ip, '10.9.9.9');
  good.socket.destroy();
});

test('forward: with the owner gone, B answers a resume with 4020 and a watch link with 404', async (t) => {
  const { a, b } = await setup(t);
  const first = await open(a.port, 'host=echo');
  await waitFor(() => hello(first.got) !== undefined, 'hello', 20_000);
  const token = (hello(first.got)?.resume as { token: string } | undefined)?.token ?? '';
  first.ws.send(JSON.stringify({ type: 'share', ttl: 600 }));
  await waitFor(() => first.got.control.some((m) => m.type === 'shared'), 'shared');
  const url = String(first.got.control.find((m) => m.type === 'shared')?.url);
  const watch = /\/watch\/([A-Za-z0-9._-]+)$/.exec(url)?.[1] ?? '';
  // Killed: A's entry stays in the store until slotTtl, so B tries it and finds nobody.
  await a.stop('SIGKILL');
  const resumed = await open(b.port, `host=echo&resume=${token}&from=0`);
  assert.equal((await resumed.got.closed).code, 4020, 'the client starts a fresh session');
  const spectator = await rawUpgrade(b.port, { path: `/ws?watch=${watch}`, protocol: SUBPROTOCOL });
  assert.equal(spectator.status, 404);
  await waitFor(() => logLines(b, 'upgrade.forward-failed').length === 2, 'two lines');
  // Once A's entry has expired, B does not even try.
  await waitFor(() => logLines(b, 'upgrade.forward-unknown').length === 0, 'nothing yet');
  await new Promise((r) => setTimeout(r, 3500));
  const later = await rawUpgrade(b.port, { path: `/ws?watch=${watch}`, protocol: SUBPROTOCOL });
  assert.equal(later.status, 404);
  await waitFor(() => logLines(b, 'upgrade.forward-unknown').length === 1, 'unknown owner');
  assert.equal(logLines(b, 'upgrade.forward-failed').length, 2, 'one line per failed relay');
  assert.equal(await relays(b, 'unreachable'), 2);
  assert.equal(await relays(b, 'unknown'), 1);
});

test("forward: A runs --workers 2: watch links and a resume of A's worker, opened on B, reach that worker", async (t) => {
  const [echo, redis] = await Promise.all([echoBackend(), startRedis()]);
  const config = (port: number) => ({
    listen: { host: '127.0.0.1', port },
    hosts: [{ id: 'echo', name: 'Echo', target: echo.target, share: true }],
    limits: { resume: '2m' },
    store: { url: redis.url, slotTtl: '3s', advertise: `127.0.0.1:${port}` },
  });
  const aPort = await freePort();
  const a = await startInstance(dir, `wa-${redis.port}`, config(aPort), ['--workers', '2'], 2);
  const b = await startInstance(dir, `wb-${redis.port}`, config(await freePort()));
  t.after(async () => {
    await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
    await redis.stop();
    await echo.close();
  });
  const owner = await open(aPort, 'host=echo');
  await waitFor(() => hello(owner.got) !== undefined, 'hello', 20_000);
  const token = (hello(owner.got)?.resume as { token: string } | undefined)?.token ?? '';
  assert.match(token, /^i[0-9a-f]{12}\.\d+\.[A-Za-z0-9_-]{22}$/, 'instance, then worker');
  owner.ws.send(JSON.stringify({ type: 'share', ttl: 600 }));
  await waitFor(() => owner.got.control.some((m) => m.type === 'shared'), 'shared');
  const url = String(owner.got.control.find((m) => m.type === 'shared')?.url);
  const watch = /\/watch\/([A-Za-z0-9._-]+)$/.exec(url)?.[1] ?? '';
  const spectators: { ws: WebSocket; got: Collected }[] = [];
  for (let i = 0; i < 4; i++) spectators.push(await open(b.port, `watch=${watch}`));
  owner.ws.send(Buffer.from('live to four\r\n'));
  for (const [i, s] of spectators.entries())
    await waitFor(() => s.got.bytes().toString().includes('live to four'), `spectator ${i}`);
  (owner.ws as unknown as { _socket: Socket })._socket.destroy();
  const n = owner.got.bytes().length;
  const again = await open(b.port, `host=echo&resume=${token}&from=${n}`);
  await waitFor(() => hello(again.got) !== undefined, 'resumed hello', 20_000);
  assert.deepEqual(hello(again.got)?.resumed, { from: n });
  again.ws.send(Buffer.from('after the resume\r\n'));
  await waitFor(() => again.got.bytes().toString().includes('after the resume'), 'echo');
  assert.equal(echo.sockets.length, 1, 'one backend connection');
  assert.equal(logLines(b, 'upgrade.forwarded').length, 5, 'four spectators and a resume');
  for (const s of [...spectators, again]) s.ws.close(1000);
});

test('forward: B stopping (SIGTERM) cuts the connections it relays and exits cleanly; the owner keeps the session', async (t) => {
  const { a, b } = await setup(t);
  const owner = await open(a.port, 'host=echo');
  await waitFor(() => hello(owner.got) !== undefined, 'hello', 20_000);
  owner.ws.send(JSON.stringify({ type: 'share', ttl: 600 }));
  await waitFor(() => owner.got.control.some((m) => m.type === 'shared'), 'shared');
  const url = String(owner.got.control.find((m) => m.type === 'shared')?.url);
  const watch = /\/watch\/([A-Za-z0-9._-]+)$/.exec(url)?.[1] ?? '';
  const spectator = await open(b.port, `watch=${watch}`);
  await waitFor(
    () => spectator.got.control.some((m) => m.type === 'hello' && m.role === 'spectator'),
    'spectator hello',
    20_000,
  );
  await b.stop('SIGTERM');
  // Exit code 1 would be the forced exit after 20 s: the relay would have held the drain.
  assert.equal(b.process.exitCode, 0, 'drained without waiting for the relayed connection');
  assert.equal((await spectator.got.closed).code, 1006, 'cut: the client reconnects');
  owner.ws.send(Buffer.from('still here\r\n'));
  await waitFor(() => owner.got.bytes().toString().includes('still here'), 'owner echo');
  owner.ws.close(1000);
});

test('forward: behind plain round-robin nginx (no token map), four resumes and four spectators all reach the owner', async (t) => {
  const [counter, redis] = await Promise.all([counterBackend(), startRedis()]);
  const ports = [await freePort(), await freePort()] as const;
  const start = (name: string, port: number) =>
    startInstance(dir, `${name}-rr-${redis.port}`, {
      listen: { host: '127.0.0.1', port },
      trustedProxies: ['127.0.0.1'],
      hosts: [{ id: 'count', name: 'Count', target: counter.target, share: true }],
      limits: { resume: '2m' },
      store: { url: redis.url, slotTtl: '3s', advertise: `127.0.0.1:${port}` },
    });
  const a = await start('a', ports[0]);
  const b = await start('b', ports[1]);
  // The shipped two-instance site with its map reduced to the balanced upstream.
  const site = readFileSync(new URL('../deploy/nginx/two-instances.conf', import.meta.url), 'utf8')
    .replaceAll('127.0.0.1:8081', `127.0.0.1:${ports[0]}`)
    .replaceAll('127.0.0.1:8082', `127.0.0.1:${ports[1]}`)
    .replace(/^\s+~\^[ab]\\\..*$/gm, '')
    .replace(/listen \[::\]:80;/, '');
  assert.doesNotMatch(site, /porthole_a;/, 'no route by token');
  const nginx = await startNginxHttp((port) =>
    site.replace(/listen 80;/, `listen 127.0.0.1:${port};`),
  );
  t.after(async () => {
    await nginx.close();
    await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
    await redis.stop();
    await counter.close();
  });
  const base = `host=count`;
  let reader = await open(nginx.port, base, '127.0.0.9');
  acking(reader.ws);
  await waitFor(() => hello(reader.got) !== undefined, 'hello', 20_000);
  const token = (hello(reader.got)?.resume as { token: string } | undefined)?.token ?? '';
  let n = 0;
  for (let round = 0; round < 4; round++) {
    await waitFor(() => reader.got.bytes().length >= 32 * 1024, 'output', 20_000);
    (reader.ws as unknown as { _socket: Socket })._socket.destroy();
    const got = reader.got.bytes();
    assert.ok(got.equals(expected(n, got.length)), `round ${round}: in order`);
    n += got.length;
    reader = await open(nginx.port, `${base}&resume=${token}&from=${n}`, '127.0.0.9');
    acking(reader.ws);
    await waitFor(() => hello(reader.got) !== undefined, `resumed hello ${round}`, 20_000);
    assert.deepEqual(hello(reader.got)?.resumed, { from: n }, `round ${round}`);
  }
  await waitFor(() => reader.got.bytes().length >= 32 * 1024, 'output after the resumes', 20_000);
  const last = reader.got.bytes();
  assert.ok(last.equals(expected(n, last.length)), 'in order after the last resume');
  assert.equal(counter.sockets.length, 1, 'one backend connection throughout');
  reader.ws.send(JSON.stringify({ type: 'share', ttl: 600 }));
  await waitFor(() => reader.got.control.some((m) => m.type === 'shared'), 'shared');
  const url = String(reader.got.control.find((m) => m.type === 'shared')?.url);
  const watch = /\/watch\/([A-Za-z0-9._-]+)$/.exec(url)?.[1] ?? '';
  const spectators: { ws: WebSocket; got: Collected }[] = [];
  for (let i = 0; i < 4; i++) spectators.push(await open(nginx.port, `watch=${watch}`));
  for (const [i, s] of spectators.entries())
    await waitFor(() => s.got.bytes().length > 0, `spectator ${i} sees output`, 20_000);
  const relayed = [...logLines(a, 'upgrade.forwarded'), ...logLines(b, 'upgrade.forwarded')];
  assert.ok(relayed.length >= 2, `round robin sent some to the other instance (${relayed.length})`);
  const resumes = [...logLines(a, 'session.resume'), ...logLines(b, 'session.resume')];
  assert.equal(resumes.length, 4);
  assert.ok(
    resumes.every((r) => r.ip === '127.0.0.9'),
    "the owner counts the browser's address (through nginx and the relay)",
  );
  t.diagnostic(`${relayed.length} of 8 upgrades relayed between instances`);
  for (const s of [...spectators, reader]) s.ws.close(1000);
});

test('forward: after the store restarts empty, the instances put their addresses and the key back and relays work again', async (t) => {
  const { a, b, redis } = await setup(t);
  const owner = await open(a.port, 'host=echo');
  await waitFor(() => hello(owner.got) !== undefined, 'hello', 20_000);
  owner.ws.send(JSON.stringify({ type: 'share', ttl: 600 }));
  await waitFor(() => owner.got.control.some((m) => m.type === 'shared'), 'shared');
  const url = String(owner.got.control.find((m) => m.type === 'shared')?.url);
  const watch = /\/watch\/([A-Za-z0-9._-]+)$/.exec(url)?.[1] ?? '';
  await stopChild(redis.process, 'SIGKILL');
  const again = await startRedis(redis.port);
  t.after(() => again.stop());
  // Until the next renewal (slotTtl / 3 = 1 s) B may not find A; then it must.
  let status = 0;
  for (let i = 0; i < 100 && status !== 101; i++) {
    const r = await rawUpgrade(b.port, { path: `/ws?watch=${watch}`, protocol: SUBPROTOCOL });
    status = r.status;
    r.socket.destroy();
    if (status !== 101) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.equal(status, 101, 'a relayed watch link is admitted by A again');
  const store = new Redis(again.url);
  t.after(() => store.disconnect());
  assert.equal((await store.get('porthole:forward-key'))?.length, 44, 'the key is back');
  owner.ws.close(1000);
});
