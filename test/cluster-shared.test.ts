/**
 * Issue 16 without a store: under `--workers 2` the primary holds the lockout, the upgrade
 * rate and the session counts for both workers over IPC. The cluster hands connections out
 * round-robin, so without it consecutive requests would be counted by different workers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { WebSocket } from 'ws';
import { echoBackend } from './helpers/backends.ts';
import { connectTo, echoes, startInstance } from './helpers/instances.ts';
import { httpRequest } from './helpers/security.ts';

const TOKEN = 'correct-horse-battery-staple-42';
const dir = mkdtempSync(join(tmpdir(), 'porthole-workers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('--workers 2 without a store: one lockout, one session count and one upgrade rate for both workers', async (t) => {
  const backend = await echoBackend();
  const porthole = await startInstance(
    dir,
    'workers',
    {
      auth: { mode: 'token', tokens: [{ name: 'alice', token: TOKEN }] },
      allowMissingOrigin: true,
      hosts: [{ id: 'echo', name: 'Echo', target: backend.target }],
      limits: { maxSessionsPerIp: 2, upgradeBurst: 5, upgradesPerIpPerMinute: 1 },
    },
    ['--workers', '2'],
    2,
  );
  t.after(async () => {
    await porthole.stop('SIGKILL');
    await backend.close();
  });
  const api = (token: string, localAddress = '127.0.0.1') =>
    httpRequest(porthole.port, {
      path: '/api/hosts',
      headers: { Authorization: `Bearer ${token}` },
      localAddress,
    });
  for (let i = 0; i < 5; i++) assert.equal((await api(`wrong-guess-${i}-xxxxxxxx`)).status, 401);
  assert.equal((await api(TOKEN)).status, 429, 'five failures over two workers lock the address');
  assert.equal((await api(TOKEN, '127.0.0.2')).status, 200);
  // Sessions per address: the third, whichever worker takes it, is one too many.
  const q = `host=echo&token=${TOKEN}`;
  const held: WebSocket[] = [];
  for (let i = 0; i < 2; i++) {
    const ws = await connectTo(porthole.port, q, '127.0.0.3');
    assert.ok(typeof ws !== 'number', `session ${i + 1}: HTTP ${String(ws)}`);
    held.push(ws);
  }
  assert.equal(await connectTo(porthole.port, q, '127.0.0.3'), 429);
  for (const ws of held) assert.ok(await echoes(ws));
  // Upgrade rate: four upgrades so far from .3 (burst 5); the 5th passes the rate, the 6th not.
  held[0]?.close(1000);
  await new Promise((r) => held[0]?.once('close', r));
  let fifth: WebSocket | number = 0;
  for (let i = 0; i < 20 && typeof fifth === 'number'; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    fifth = await connectTo(porthole.port, q, '127.0.0.4');
  }
  assert.ok(typeof fifth !== 'number');
  fifth.close();
  held[1]?.close();
});
