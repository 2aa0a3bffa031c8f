/**
 * The admin view (issue 16): `GET /api/sessions` lists live sessions with their user, address,
 * host, start and bytes; `DELETE /api/sessions/ID` ends one with close code 4030 and the
 * backend connection closes. Admins only (403 for others, 401 without credentials), DELETE
 * only from our own origin, and off (404) with `auth.mode: none` unless enabled.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AdminSessionsResponse } from '../shared/api.ts';
import { CloseCode, describeClose } from '../shared/close-codes.ts';
import { collect, openSession, waitFor, withProxy } from './helpers/proxy.ts';

const ADMIN = 'admin-token-0123456789';
const PLAYER = 'player-token-0123456789';
const auth = {
  mode: 'token' as const,
  tokens: [
    { name: 'root', token: ADMIN, groups: ['admins'] },
    { name: 'player', token: PLAYER, groups: ['players'] },
  ],
};
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('an admin lists live sessions and ends one; others get 403', async (t) => {
  const proxy = await withProxy(t, { auth });
  const ws = await openSession(proxy, 'echo', { headers: bearer(PLAYER) });
  const got = collect(ws);
  await waitFor(() => got.control.length > 0, 'hello');
  ws.send(Buffer.from('hello admin\n'));
  await waitFor(() => got.bytes().toString().includes('hello admin'), 'echo');
  const backendSocket = proxy.backend.sockets[0];
  assert.ok(backendSocket !== undefined);

  const list = await fetch(`${proxy.origin}/api/sessions`, { headers: bearer(ADMIN) });
  assert.equal(list.status, 200);
  assert.equal(list.headers.get('cache-control'), 'no-store');
  const body = (await list.json()) as AdminSessionsResponse;
  assert.equal(body.sessions.length, 1);
  const s = body.sessions[0];
  assert.ok(s !== undefined);
  assert.equal(s.user, 'player');
  assert.equal(s.host, 'echo');
  assert.match(s.clientIp, /127\.0\.0\.1/);
  assert.equal(s.detached, false);
  assert.equal(s.bytesUp, 'hello admin\n'.length);
  assert.equal(s.bytesDown, 'hello admin\n'.length);
  const since = Date.parse(s.since);
  assert.ok(Math.abs(Date.now() - since) < 60_000, s.since);

  // Not an admin, no credentials: refused.
  const other = await fetch(`${proxy.origin}/api/sessions`, { headers: bearer(PLAYER) });
  assert.equal(other.status, 403);
  assert.equal((await fetch(`${proxy.origin}/api/sessions`)).status, 401);
  const otherDel = await fetch(`${proxy.origin}/api/sessions/${s.id}`, {
    method: 'DELETE',
    headers: { ...bearer(PLAYER), origin: proxy.origin },
  });
  assert.equal(otherDel.status, 403);

  // CSRF: from another site the credentials are not even read (401); with no sign of its
  // origin at all (neither Origin nor Sec-Fetch-Site) the DELETE is refused (403).
  const cases: [Record<string, string>, number][] = [
    [{ ...bearer(ADMIN), origin: 'https://evil.example' }, 401],
    [{ ...bearer(ADMIN), 'sec-fetch-site': 'cross-site' }, 401],
    [bearer(ADMIN), 403],
    [{ ...bearer(ADMIN), 'sec-fetch-site': 'none' }, 403],
  ];
  for (const [headers, status] of cases) {
    const res: Response = await fetch(`${proxy.origin}/api/sessions/${s.id}`, {
      method: 'DELETE',
      headers,
    });
    assert.equal(res.status, status, JSON.stringify(headers));
  }
  assert.equal(ws.readyState, ws.OPEN, 'refused DELETEs end nothing');

  const backendClosed = new Promise<void>((resolve) =>
    backendSocket.once('close', () => resolve()),
  );
  const del = await fetch(`${proxy.origin}/api/sessions/${s.id}`, {
    method: 'DELETE',
    headers: { ...bearer(ADMIN), 'sec-fetch-site': 'same-origin' },
  });
  assert.equal(del.status, 204);
  const closed = await got.closed;
  assert.equal(closed.code, CloseCode.ADMIN_ENDED);
  assert.match(closed.reason, /administrator/);
  assert.match(describeClose(CloseCode.ADMIN_ENDED).sentence, /administrator/);
  await backendClosed;
  await waitFor(() => proxy.porthole.sessions.size === 0, 'session gone');
  const again = await fetch(`${proxy.origin}/api/sessions/${s.id}`, {
    method: 'DELETE',
    headers: { ...bearer(ADMIN), origin: proxy.origin },
  });
  assert.equal(again.status, 404);
  const empty = (await (
    await fetch(`${proxy.origin}/api/sessions`, { headers: bearer(ADMIN) })
  ).json()) as AdminSessionsResponse;
  assert.deepEqual(empty.sessions, []);
});

test('admins.users names an admin; recording admins default to the same list', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-admin-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const proxy = await withProxy(t, {
    auth,
    admins: { users: ['player'], groups: [] },
    recording: { dir },
  });
  for (const path of ['/api/sessions', '/api/recordings']) {
    const r = await fetch(`${proxy.origin}${path}`, { headers: bearer(PLAYER) });
    assert.equal(r.status, 200, path);
    // root is in group admins, which this config no longer names.
    const root = await fetch(`${proxy.origin}${path}`, { headers: bearer(ADMIN) });
    assert.equal(root.status, 403, path);
  }
});

test('with auth mode none the admin API is off unless admins.withoutAuth', async (t) => {
  const off = await withProxy(t, {});
  assert.equal((await fetch(`${off.origin}/api/sessions`)).status, 404);
  const on = await withProxy(t, { admins: { withoutAuth: true } });
  const ws = await openSession(on, 'echo');
  const got = collect(ws);
  await waitFor(() => got.control.length > 0, 'hello');
  const body = (await (await fetch(`${on.origin}/api/sessions`)).json()) as AdminSessionsResponse;
  assert.equal(body.sessions.length, 1);
  const id = body.sessions[0]?.id ?? '';
  const del = await fetch(`${on.origin}/api/sessions/${id}`, {
    method: 'DELETE',
    headers: { origin: on.origin },
  });
  assert.equal(del.status, 204);
  assert.equal((await got.closed).code, CloseCode.ADMIN_ENDED);
});
