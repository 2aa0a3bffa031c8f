/**
 * The admin view across instances (issue 16): two Porthole processes sharing a real
 * redis-server. Each lists the other's sessions (from its summary in the store, rewritten on
 * the renewal timer) and a DELETE on one ends a session held by the other (pub/sub); an
 * instance that stops takes its summaries with it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { WebSocket } from 'ws';
import type { AdminSessionsResponse } from '../shared/api.ts';
import { CloseCode } from '../shared/close-codes.ts';
import { SUBPROTOCOL } from '../shared/protocol.ts';
import { echoBackend } from './helpers/backends.ts';
import { startInstance, startRedis } from './helpers/instances.ts';
import { collect, waitFor } from './helpers/proxy.ts';

const ADMIN = 'admin-token-0123456789';
const PLAYER = 'player-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'porthole-admin-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function list(port: number): Promise<AdminSessionsResponse['sessions']> {
  const r = await fetch(`http://127.0.0.1:${port}/api/sessions`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  assert.equal(r.status, 200);
  return ((await r.json()) as AdminSessionsResponse).sessions;
}

test('with a store, each instance lists and ends the other one’s sessions', async (t) => {
  const backend = await echoBackend();
  const redis = await startRedis();
  const config = {
    auth: {
      mode: 'token',
      tokens: [
        { name: 'root', token: ADMIN, groups: ['admins'] },
        { name: 'player', token: PLAYER, groups: ['players'] },
      ],
    },
    hosts: [{ id: 'echo', name: 'Echo', target: backend.target }],
    store: { url: redis.url, slotTtl: '1500ms' },
  };
  const a = await startInstance(dir, `a-${redis.port}`, config);
  const b = await startInstance(dir, `b-${redis.port}`, config);
  t.after(async () => {
    await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
    await redis.stop();
    await backend.close();
  });
  const origin = `http://127.0.0.1:${a.port}`;
  const ws = new WebSocket(`ws://127.0.0.1:${a.port}/ws?host=echo`, SUBPROTOCOL, {
    origin,
    headers: { authorization: `Bearer ${PLAYER}` },
  });
  const got = collect(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  await waitFor(() => got.control.length > 0, 'hello');

  // B sees A's session once A's renewal (every 500 ms here) has written it.
  let seen: AdminSessionsResponse['sessions'] = [];
  const deadline = Date.now() + 15_000;
  while (seen.length === 0 && Date.now() < deadline) {
    seen = await list(b.port);
    if (seen.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(seen.length, 1, 'B lists the session held by A');
  assert.equal(seen[0]?.user, 'player');
  assert.equal(seen[0]?.host, 'echo');
  assert.deepEqual(
    (await list(a.port)).map((s) => s.id),
    seen.map((s) => s.id),
  );

  const id = seen[0]?.id ?? '';
  const bOrigin = `http://127.0.0.1:${b.port}`;
  const del = await fetch(`${bOrigin}/api/sessions/${id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${ADMIN}`, origin: bOrigin },
  });
  assert.equal(del.status, 204);
  assert.equal((await got.closed).code, CloseCode.ADMIN_ENDED);
  await waitFor(() => backend.sockets.every((s) => s.closed), 'backend socket closed');
  const unknown = await fetch(`${bOrigin}/api/sessions/no-such-session`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${ADMIN}`, origin: bOrigin },
  });
  assert.equal(unknown.status, 404);
  // A's next renewal writes an empty list; B's view follows.
  const until = Date.now() + 15_000;
  let left = await list(b.port);
  while (left.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    left = await list(b.port);
  }
  assert.deepEqual(left, []);
});
