/**
 * Issue 16: `store: { url: redis://... }` makes the gate's promises hold across instances.
 * Two Porthole processes and a real redis-server, all on loopback, started and stopped here
 * by PID: one lockout, one session count per address, one upgrade rate; a killed instance's
 * slots come back within `slotTtl`, a live one's are renewed (also into a Redis that restarted
 * empty); Redis going away keeps live sessions and follows
 * `store.onError`; a store that is unreachable at start is a clear error (exit 2).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { WebSocket } from 'ws';
import { echoBackend, type FakeBackend } from './helpers/backends.ts';
import {
  connectTo,
  echoes,
  freePort,
  type Instance,
  type RedisServer,
  startInstance,
  startRedis,
  stopChild,
} from './helpers/instances.ts';
import { httpRequest } from './helpers/security.ts';

const TOKEN = 'correct-horse-battery-staple-42';
const dir = mkdtempSync(join(tmpdir(), 'porthole-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(backend: FakeBackend, redis: RedisServer, extra: Record<string, unknown> = {}) {
  return {
    auth: { mode: 'token', tokens: [{ name: 'alice', token: TOKEN }] },
    allowMissingOrigin: true,
    hosts: [{ id: 'echo', name: 'Echo', target: backend.target }],
    limits: {
      maxSessionsPerIp: 2,
      maxSessionsPerUser: 100,
      upgradeBurst: 4,
      upgradesPerIpPerMinute: 1,
    },
    store: { url: redis.url, slotTtl: '2s' },
    ...extra,
  };
}

const Q = `host=echo&token=${TOKEN}`;

async function setup(t: import('node:test').TestContext, extra: Record<string, unknown> = {}) {
  const backend = await echoBackend();
  const redis = await startRedis();
  const a = await startInstance(dir, `a-${redis.port}`, config(backend, redis, extra));
  const b = await startInstance(dir, `b-${redis.port}`, config(backend, redis, extra));
  t.after(async () => {
    await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
    await redis.stop();
    await backend.close();
  });
  return { backend, redis, a, b };
}

const open = async (i: Instance, from: string): Promise<WebSocket> => {
  const ws = await connectTo(i.port, Q, from);
  if (typeof ws === 'number') throw new Error(`HTTP ${ws} from instance on ${i.port}`);
  return ws;
};

test('store: two instances share one lockout: the 6th wrong guess on A locks the address out on B', async (t) => {
  const { a, b } = await setup(t);
  const api = (i: Instance, token: string, localAddress = '127.0.0.1') =>
    httpRequest(i.port, {
      path: '/api/hosts',
      headers: { Authorization: `Bearer ${token}` },
      localAddress,
    });
  for (let i = 0; i < 5; i++) {
    const on = i % 2 === 0 ? a : b;
    assert.equal((await api(on, `wrong-guess-${i}-xxxxxxxx`)).status, 401);
  }
  const locked = await api(b, TOKEN);
  assert.equal(locked.status, 429, 'the right token on B, after five failures spread over A and B');
  assert.ok(Number(locked.headers['retry-after']) > 290);
  assert.equal((await api(a, TOKEN)).status, 429);
  assert.equal((await api(b, TOKEN, '127.0.0.2')).status, 200, 'another address is fine');
});

test('store: maxSessionsPerIp and the upgrade rate hold across instances', async (t) => {
  const { a, b } = await setup(t);
  const from = '127.0.0.2';
  const one = await open(a, from);
  const two = await open(a, from);
  assert.equal(await connectTo(b.port, Q, from), 429, 'the third session, on B, is one too many');
  one.close(1000);
  await new Promise((r) => one.once('close', r));
  // The slot comes back as soon as A has told the store.
  let three: WebSocket | number = 0;
  for (let i = 0; i < 20 && typeof three === 'number'; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    three = await connectTo(b.port, Q, '127.0.0.3');
  }
  assert.ok(typeof three !== 'number');
  assert.ok(await echoes(three));
  assert.ok(await echoes(two));
  // Upgrade rate (burst 4, then 1 a minute) from a fresh address, alternating instances.
  const statuses: number[] = [];
  for (const i of [a, b, a, b, a]) {
    const r = await connectTo(i.port, Q, '127.0.0.4');
    if (typeof r === 'number') statuses.push(r);
    else {
      statuses.push(101);
      r.close(1000);
      await new Promise((res) => r.once('close', res));
    }
  }
  assert.deepEqual(statuses, [101, 101, 101, 101, 429]);
  two.close();
  three.close();
});

test('store: two instances with --workers 2 each: one session count and one lockout over all four processes', async (t) => {
  const backend = await echoBackend();
  const redis = await startRedis();
  const workers = ['--workers', '2'];
  const a = await startInstance(dir, `wa-${redis.port}`, config(backend, redis), workers, 2);
  const b = await startInstance(dir, `wb-${redis.port}`, config(backend, redis), workers, 2);
  t.after(async () => {
    await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
    await redis.stop();
    await backend.close();
  });
  // Connections are dealt round-robin over each instance's workers: four fresh connections
  // to A reach both of its workers, and the store must count them as one address.
  const from = '127.0.0.6';
  const held = [await open(a, from), await open(b, from)];
  for (const i of [a, a, b, b]) assert.equal(await connectTo(i.port, Q, from), 429);
  for (const ws of held) assert.ok(await echoes(ws));
  // Five wrong guesses spread over both instances (and so over their workers) lock the
  // address out on every process.
  const api = (i: Instance, token: string) =>
    httpRequest(i.port, {
      path: '/api/hosts',
      headers: { Authorization: `Bearer ${token}` },
      localAddress: '127.0.0.7',
    });
  for (let n = 0; n < 5; n++)
    assert.equal((await api(n % 2 === 0 ? a : b, `wrong-guess-${n}-xxxxxxxx`)).status, 401);
  for (const i of [a, a, b, b]) assert.equal((await api(i, TOKEN)).status, 429);
  for (const ws of held) ws.close();
});

test('store: killing an instance frees its slots within slotTtl', async (t) => {
  // Polling B every 250 ms must not run into the upgrade rate.
  const { a, b } = await setup(t, {
    limits: { maxSessionsPerIp: 2, upgradeBurst: 1000, upgradesPerIpPerMinute: 6000 },
  });
  const from = '127.0.0.5';
  await open(a, from);
  await open(a, from);
  assert.equal(await connectTo(b.port, Q, from), 429);
  await a.stop('SIGKILL');
  const killedAt = Date.now();
  let got: WebSocket | number = 0;
  while (typeof got === 'number' && Date.now() - killedAt < 10_000) {
    await new Promise((r) => setTimeout(r, 250));
    got = await connectTo(b.port, Q, from);
  }
  assert.ok(typeof got !== 'number', 'the dead instance still holds the slots after 10 s');
  const waited = Date.now() - killedAt;
  assert.ok(waited <= 2000 + 3000, `freed after ${waited} ms (slotTtl 2 s)`);
  assert.ok(await echoes(got));
  got.close();
});

test('store: held slots are renewed: the address and the user stay full past slotTtl and after Redis restarts empty', async (t) => {
  // Polling B must not run into the upgrade rate.
  const { a, b, redis } = await setup(t, {
    limits: {
      maxSessionsPerIp: 2,
      maxSessionsPerUser: 3,
      upgradeBurst: 1000,
      upgradesPerIpPerMinute: 6000,
    },
  });
  // A holds two sessions from one address and a third from another: the address .10 and
  // the user alice are full; the renewal groups them by set (one ZADD per address or user).
  const held = [
    await open(a, '127.0.0.10'),
    await open(a, '127.0.0.10'),
    await open(a, '127.0.0.11'),
  ];
  const refusedBoth = async (): Promise<boolean> => {
    let ok = true;
    for (const from of ['127.0.0.10', '127.0.0.12']) {
      const r = await connectTo(b.port, Q, from);
      if (typeof r !== 'number') {
        r.close(1000);
        await new Promise((res) => r.once('close', res));
        ok = false;
      } else if (r !== 429) throw new Error(`HTTP ${r} from ${from}`);
    }
    return ok;
  };
  assert.ok(await refusedBoth(), 'full at once');
  await new Promise((r) => setTimeout(r, 3 * 2000 + 500));
  assert.ok(await refusedBoth(), 'still full after 3 × slotTtl (the slots were renewed)');
  // Redis restarts empty on the same port: A's next renewal refills both sets.
  await stopChild(redis.process, 'SIGKILL');
  const restarted = await startRedis(redis.port);
  t.after(() => restarted.stop());
  let full = false;
  const since = Date.now();
  while (!full && Date.now() - since < 10_000) {
    await new Promise((r) => setTimeout(r, 250));
    full = await refusedBoth().catch(() => false);
  }
  assert.ok(full, 'the address and the user are full again once A has renewed');
  for (const ws of held) assert.ok(await echoes(ws));
  for (const ws of held) ws.close();
});

test('store: Redis going away keeps live sessions; onError closed refuses new ones, local admits them', async (t) => {
  const backend = await echoBackend();
  const redis = await startRedis();
  const closed = await startInstance(dir, 'closed', config(backend, redis));
  const local = await startInstance(
    dir,
    'local',
    config(backend, redis, { store: { url: redis.url, slotTtl: '2s', onError: 'local' } }),
  );
  let restarted: RedisServer | undefined;
  t.after(async () => {
    await Promise.all([closed.stop('SIGKILL'), local.stop('SIGKILL')]);
    await redis.stop();
    await restarted?.stop();
    await backend.close();
  });
  const liveA = await open(closed, '127.0.0.6');
  const liveB = await open(local, '127.0.0.7');
  await stopChild(redis.process, 'SIGKILL');
  assert.ok(await echoes(liveA), 'a live session on the onError: closed instance');
  assert.ok(await echoes(liveB), 'a live session on the onError: local instance');
  assert.equal(await connectTo(closed.port, Q, '127.0.0.8'), 503);
  const admitted = await connectTo(local.port, Q, '127.0.0.8');
  assert.ok(typeof admitted !== 'number', 'onError: local falls back to its own limits');
  assert.ok(await echoes(admitted));
  assert.ok(closed.out().includes('"event":"store.lost"'));
  // Redis comes back (empty, on the same port): the closed instance admits again.
  restarted = await startRedis(redis.port);
  let back: WebSocket | number = 0;
  for (let i = 0; i < 40 && typeof back === 'number'; i++) {
    await new Promise((r) => setTimeout(r, 250));
    back = await connectTo(closed.port, Q, '127.0.0.9');
  }
  assert.ok(typeof back !== 'number', 'admits again once the store is back');
  assert.ok(await echoes(liveA), 'the first session lived through it all');
  for (const ws of [liveA, liveB, admitted, back]) ws.close();
});

test('store: unreachable at start is a clear error (exit 2), not a silent per-instance mode', async () => {
  const port = await freePort();
  const backend = await echoBackend();
  try {
    await assert.rejects(
      startInstance(dir, 'nostore', {
        hosts: [{ id: 'echo', name: 'Echo', target: backend.target }],
        store: { url: `redis://:sekrit@127.0.0.1:${port}` },
      }),
      (err: Error) =>
        /exited 2: porthole: store redis:\/\/\*\*\*@127\.0\.0\.1:\d+ is unreachable/.test(
          err.message,
        ) && !err.message.includes('sekrit'),
    );
  } finally {
    await backend.close();
  }
});
