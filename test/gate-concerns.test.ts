/**
 * SECURITY.md H7–H10: the second red-team round's concerns at the gate. Host headers with
 * userinfo, repeated identity headers, logout and removed users, IPv6 clients rotating
 * through their /64, and one address holding every descriptor with slow request bodies.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { addressKey } from '../server/common/address-key.ts';
import { hashPassword } from '../server/gateway/auth.ts';
import { waitFor, withProxy } from './helpers/proxy.ts';
import { rawConnect, rawHttp, rawUpgrade } from './helpers/raw-ws.ts';
import { httpRequest } from './helpers/security.ts';

test('H7: Host: 127.0.0.1:1@evil is refused (421) for the API and upgrades', async (t) => {
  const proxy = await withProxy(t);
  for (const host of ['127.0.0.1:1@evil', '127.0.0.1@evil', `127.0.0.1:${proxy.port}/x`]) {
    const page = await rawHttp(proxy.port, `GET /api/info HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    page.socket.destroy();
    assert.equal(page.status, 421, `page, Host ${host}`);
    const up = await rawUpgrade(proxy.port, { host });
    up.socket.destroy();
    assert.equal(up.status, 421, `upgrade, Host ${host}`);
  }
  const ok = await rawUpgrade(proxy.port, {});
  ok.socket.destroy();
  assert.equal(ok.status, 101);
});

test('H8: trusted-header mode refuses a repeated user or groups header', async (t) => {
  const proxy = await withProxy(t, {
    trustedProxies: ['127.0.0.1'],
    auth: { mode: 'trusted-header', userHeader: 'X-User', groupsHeader: 'X-Groups' },
    hosts: [{ id: 'echo', allow: { groups: ['admins'] } }],
  });
  const hosts = async (headers: [string, string][]) => {
    const res = await rawHttp(
      proxy.port,
      `GET /api/hosts HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nConnection: close\r\n${headers
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n`,
    );
    res.socket.destroy();
    return res;
  };
  const one = await hosts([
    ['X-User', 'alice'],
    ['X-Groups', 'players'],
  ]);
  assert.equal(one.status, 200);
  assert.deepEqual(JSON.parse(one.body).hosts, [], 'players do not see the admins host');
  // A client-sent copy the proxy appended to rather than replaced:
  const addedGroup = await hosts([
    ['X-User', 'alice'],
    ['X-Groups', 'players'],
    ['X-Groups', 'admins'],
  ]);
  assert.equal(addedGroup.status, 401);
  const twoUsers = await hosts([
    ['X-User', 'admin'],
    ['X-User', 'alice'],
  ]);
  assert.equal(twoUsers.status, 401);
});

test('H8: logout revokes the cookie; a user removed from the config is refused even with a valid signature', async (t) => {
  const password = 'a long and good password';
  const passwordHash = await hashPassword(password);
  const cookieSecret = 'a-cookie-secret-of-at-least-32-characters';
  const users = [
    { name: 'alice', passwordHash },
    { name: 'bob', passwordHash },
  ];
  const proxy = await withProxy(t, { auth: { mode: 'password', users, cookieSecret } });
  const login = async (user: string): Promise<string> => {
    const res = await httpRequest(proxy.port, {
      method: 'POST',
      path: '/login',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user, password }).toString(),
    });
    return (res.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
  };
  const api = async (port: number, cookie: string) =>
    (await httpRequest(port, { path: '/api/hosts', headers: { Cookie: cookie } })).status;
  const alice = await login('alice');
  const bob = await login('bob');
  assert.equal(await api(proxy.port, alice), 200);
  const out = await httpRequest(proxy.port, {
    method: 'POST',
    path: '/logout',
    headers: { Cookie: alice },
  });
  assert.equal(out.status, 303);
  assert.equal(await api(proxy.port, alice), 401, 'the logged-out cookie is dead');
  assert.equal(await api(proxy.port, bob), 200, 'other cookies live on');
  // The same secret after bob was removed from the config (a restart, say).
  const after = await withProxy(t, {
    auth: { mode: 'password', users: [{ name: 'alice', passwordHash }], cookieSecret },
  });
  assert.equal(await api(after.port, bob), 401);
});

test('H10: IPv6 clients are counted per /64: five failures spread over one /64 lock out the whole /64', async (t) => {
  assert.equal(addressKey('2001:db8:1:2:aaaa::1', 64), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:2:ffff:1:2:3', 48), '2001:db8:1::/48');
  assert.equal(addressKey('::ffff:192.0.2.7', 64), '192.0.2.7');
  assert.equal(addressKey('192.0.2.7', 64), '192.0.2.7');
  // Keys are remembered per prefix length: the same address under another prefix differs.
  assert.equal(addressKey('2001:db8:1:2:aaaa::1', 64), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:2:aaaa::1', 48), '2001:db8:1::/48');
  assert.equal(addressKey(`${'x'.repeat(100)}`, 64), 'x'.repeat(100));
  const token = 'correct-horse-battery-staple-42';
  const proxy = await withProxy(t, {
    trustedProxies: ['127.0.0.1'],
    auth: { mode: 'token', tokens: [{ name: 'alice', token }] },
  });
  const api = async (from: string, tok: string) =>
    (
      await httpRequest(proxy.port, {
        path: '/api/hosts',
        headers: { Authorization: `Bearer ${tok}`, 'X-Forwarded-For': from },
      })
    ).status;
  for (let i = 1; i <= 5; i++) assert.equal(await api(`2001:db8:0:7::${i}`, 'wrong-token-xx'), 401);
  assert.equal(await api('2001:db8:0:7:dead:beef:0:1', token), 429, 'the same /64');
  assert.equal(await api('2001:db8:0:8::1', token), 200, 'the next /64');
});

test('H9: one address cannot hold more than maxConnectionsPerIp connections with slow bodies; others still get in', async (t) => {
  const proxy = await withProxy(t, { limits: { maxSessionsPerIp: 4, maxConnectionsPerIp: 10 } });
  const sockets: Socket[] = [];
  t.after(() => {
    for (const s of sockets) s.destroy();
  });
  for (let i = 0; i < 40; i++) {
    const s = await rawConnect(proxy.port);
    s.write(
      `POST /login HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nContent-Length: 100000\r\n\r\nx`,
    );
    sockets.push(s);
  }
  await waitFor(() => sockets.filter((s) => !s.destroyed && !s.closed).length <= 10, 'cap', 5000);
  const open = sockets.filter((s) => !s.closed && !s.destroyed).length;
  assert.ok(open <= 10, `${open} connections held`);
  const other = await httpRequest(proxy.port, { path: '/healthz', localAddress: '127.0.0.2' });
  assert.equal(other.status, 200);
  assert.ok(proxy.logs.some((l) => l.reason === 'too many connections'));
});
