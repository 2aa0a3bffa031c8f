/**
 * SECURITY.md section A: the pre-upgrade gate (Host, Origin, authentication, lockout,
 * client address, handshake validity). Every refusal is an HTTP status before 101, one
 * log line, and no backend connection (a recorder backend proves it). A7 does not apply:
 * authentication is never a first message. A13: a session id is not a resume token.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import type { ConfigInput } from '../server/config/config.ts';
import { hashPassword } from '../server/gateway/auth.ts';
import { type FakeBackend, startBackend } from './helpers/backends.ts';
import {
  collect,
  openSession,
  type TestProxy,
  upgradeResponse,
  upgradeStatus,
  waitFor,
  withBackend,
  withProxy,
} from './helpers/proxy.ts';
import { rawHttp, rawUpgrade, type UpgradeRequest } from './helpers/raw-ws.ts';
import { canaryRoundTrip, httpRequest, refusals, released, sleep } from './helpers/security.ts';

const PUBLIC_URL = 'https://app.example.com';
const TOKEN = 'correct-horse-battery-staple-42';
const OTHER_IP = '127.0.0.2';

interface Setup {
  proxy: TestProxy;
  recorder: FakeBackend;
  echo: FakeBackend;
}

/** A proxy with a recorder host `rec` and an echo host `echo`; publicUrl is app.example.com. */
async function setup(t: TestContext, extra: Partial<ConfigInput> = {}): Promise<Setup> {
  const recorder = await withBackend(t, startBackend());
  const proxy = await withProxy(t, {
    publicUrl: PUBLIC_URL,
    hosts: [{ id: 'rec', name: 'Recorder', target: recorder.target }, { id: 'echo' }],
    ...extra,
  });
  return { proxy, recorder, echo: proxy.backend };
}

const tokenAuth = { auth: { mode: 'token' as const, tokens: [{ name: 'alice', token: TOKEN }] } };

/** A raw upgrade to the recorder with the public origin unless overridden; returns the status. */
async function raw(proxy: TestProxy, r: UpgradeRequest = {}): Promise<number> {
  const res = await rawUpgrade(proxy.port, { path: '/ws?host=rec', origin: PUBLIC_URL, ...r });
  res.socket.destroy();
  return res.status;
}

/** Nothing was dialled: give a wrongly admitted session time to connect, then look. */
async function assertNeverDialled(recorder: FakeBackend): Promise<void> {
  await sleep(100);
  assert.equal(recorder.sockets.length, 0, 'the recorder backend saw a connection');
}

test('A1: a foreign Origin is refused with 403 before 101, even with a valid credential', async (t) => {
  const { proxy, recorder } = await setup(t, tokenAuth);
  const res = await upgradeResponse(proxy, '/ws?host=rec', {
    origin: 'https://evil.example',
    headers: { Cookie: `porthole_token=${TOKEN}` },
  });
  assert.equal(res.status, 403);
  assert.ok(!res.body.includes(TOKEN));
  await assertNeverDialled(recorder);
  const lines = refusals(proxy);
  assert.equal(lines.length, 1, 'one log line per refusal');
  assert.equal(lines[0]?.status, 403);
  assert.equal(lines[0]?.origin, 'https://evil.example');
  // The same request from the right origin is let in: the credential was good.
  const ok = await upgradeResponse(proxy, '/ws?host=rec', {
    origin: PUBLIC_URL,
    headers: { Cookie: `porthole_token=${TOKEN}` },
  });
  assert.equal(ok.status, 101);
});

test('A1: a login form posted from a foreign site is refused (login CSRF)', async (t) => {
  const passwordHash = await hashPassword('a long and good password');
  const { proxy } = await setup(t, {
    auth: { mode: 'password', users: [{ name: 'alice', passwordHash }] },
  });
  const login = (headers: Record<string, string>) =>
    httpRequest(proxy.port, {
      method: 'POST',
      path: '/login',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ user: 'alice', password: 'a long and good password' }).toString(),
    });
  const foreign = [
    { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' },
    // A page with Referrer-Policy: no-referrer posts with Origin: null.
    { 'Sec-Fetch-Site': 'cross-site', Origin: 'null' },
    { 'Sec-Fetch-Site': 'same-site', Origin: 'https://evil.app.example.com' },
    // Browsers without Sec-Fetch-* still send a real Origin.
    { Origin: 'https://evil.example' },
    { Origin: 'http://app.example.com' },
  ];
  for (const headers of foreign) {
    const res = await login(headers);
    assert.equal(res.status, 403, JSON.stringify(headers));
    assert.equal(res.headers['set-cookie'], undefined);
  }
  assert.equal(proxy.logs.filter((l) => l.event === 'auth.refused').length, foreign.length);
  // Our own login page: same-origin (Origin: null under our no-referrer policy), or a real Origin.
  for (const headers of [
    { 'Sec-Fetch-Site': 'same-origin', Origin: 'null' },
    { Origin: PUBLIC_URL },
    {},
  ]) {
    const ok = await login(headers);
    assert.equal(ok.status, 303, JSON.stringify(headers));
    assert.match(String(ok.headers['set-cookie']), /porthole_session=/);
  }
});

test('A2: a missing Origin is refused with 403 by default, allowed only when configured', async (t) => {
  const { proxy, recorder } = await setup(t);
  assert.equal(await raw(proxy, { origin: null }), 403);
  await assertNeverDialled(recorder);
  assert.equal(refusals(proxy)[0]?.reason, 'missing Origin');
  const cli = await setup(t, { allowMissingOrigin: true });
  assert.equal(await raw(cli.proxy, { origin: null }), 101, 'CLI clients when allowed');
  assert.equal(
    await raw(cli.proxy, { origin: 'https://evil.example' }),
    403,
    'a wrong one still fails',
  );
});

test('A3: Origin: null (sandboxed iframe, file:) is refused with 403', async (t) => {
  const { proxy, recorder } = await setup(t, { allowMissingOrigin: true });
  assert.equal(await raw(proxy, { origin: 'null' }), 403);
  assert.equal(await raw(proxy, { origin: 'file://' }), 403);
  await assertNeverDialled(recorder);
  assert.equal(refusals(proxy).length, 2);
});

test('A4: look-alike origins are refused; only the exact scheme+host+port passes', async (t) => {
  const { proxy, recorder } = await setup(t);
  const lookAlikes = [
    'https://app.example.com.evil.net',
    'https://evilapp.example.com',
    'http://app.example.com',
    'https://app.example.com:8443',
    'https://APP.EXAMPLE.COM',
    'https://app.example.com.',
    'https://app.example.com:443',
    'https://app.example.com/',
    'https://app.example.com@evil.net',
    'https://evil.net#app.example.com',
    'wss://app.example.com',
  ];
  for (const origin of lookAlikes) assert.equal(await raw(proxy, { origin }), 403, origin);
  await assertNeverDialled(recorder);
  assert.equal(refusals(proxy).length, lookAlikes.length, 'one log line per refusal');
  assert.equal(await raw(proxy, { origin: PUBLIC_URL }), 101);
});

test('A5: DNS rebinding: an unknown Host gets 421 for upgrades and pages alike', async (t) => {
  const { proxy, recorder } = await setup(t);
  const rebind = { host: 'rebind.attacker.test', origin: 'http://rebind.attacker.test' };
  assert.equal(await raw(proxy, rebind), 421);
  assert.equal(await raw(proxy, { ...rebind, host: `rebind.attacker.test:${proxy.port}` }), 421);
  await assertNeverDialled(recorder);
  assert.equal(refusals(proxy)[0]?.reason, 'unknown Host');
  const page = await httpRequest(proxy.port, { headers: { Host: 'rebind.attacker.test' } });
  assert.equal(page.status, 421);
  const api = await httpRequest(proxy.port, {
    path: '/api/hosts',
    headers: { Host: 'rebind.attacker.test' },
  });
  assert.equal(api.status, 421);
  assert.ok(!api.body.includes('Recorder'), 'no host list for a rebound name');
  // The public name itself is accepted (with its own origin).
  assert.equal(await raw(proxy, { host: 'app.example.com' }), 101);
});

test('A6: with auth on, an upgrade without a credential gets 401 before 101; nothing is dialled', async (t) => {
  const { proxy, recorder } = await setup(t, tokenAuth);
  assert.equal(await raw(proxy), 401);
  assert.equal(
    await raw(proxy, { headers: [['Authorization', 'Bearer wrong-token-wrong-token']] }),
    401,
  );
  assert.equal(await raw(proxy, { headers: [['Authorization', `Basic ${TOKEN}`]] }), 401);
  assert.equal(await raw(proxy, { headers: [['Cookie', 'porthole_token=']] }), 401);
  await assertNeverDialled(recorder);
  const fails = proxy.logs.filter((l) => l.event === 'auth.fail');
  assert.equal(fails.length, 4, 'one auth.fail line per refusal');
  assert.equal(refusals(proxy).length, 4);
  // Each way of presenting the right token works.
  assert.equal(await raw(proxy, { headers: [['Authorization', `Bearer ${TOKEN}`]] }), 101);
  assert.equal(await raw(proxy, { headers: [['Cookie', `porthole_token=${TOKEN}`]] }), 101);
  assert.equal(await raw(proxy, { path: `/ws?host=rec&token=${TOKEN}` }), 101);
  // The JSON API is behind the same gate.
  const api = await httpRequest(proxy.port, { path: '/api/hosts' });
  assert.equal(api.status, 401);
});

test('A8: a JWT that expires mid-session ends the session with 1008 "session expired"', async (t) => {
  const secret = 'a-jwt-secret-of-at-least-32-characters!';
  const { proxy, echo } = await setup(t, { auth: { mode: 'jwt', secret } });
  const sign = (expSeconds: number): Promise<string> =>
    new SignJWT({ groups: ['players'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime(expSeconds)
      .sign(new TextEncoder().encode(secret));
  const now = Math.floor(Date.now() / 1000);
  const expired = await sign(now - 10);
  assert.equal(
    (
      await upgradeResponse(proxy, '/ws?host=echo', {
        origin: PUBLIC_URL,
        headers: { Authorization: `Bearer ${expired}` },
      })
    ).status,
    401,
    'an already expired token is refused',
  );
  const expMs = (now + 2) * 1000;
  const jwt = await sign(now + 2);
  const ws = await openSession(proxy, 'echo', {
    protocol: 'binary',
    origin: PUBLIC_URL,
    headers: { Authorization: `Bearer ${jwt}` },
  });
  const got = collect(ws);
  // Keep the session busy: activity must not extend a credential's life.
  const typing = setInterval(() => ws.send(Buffer.from('.')), 100);
  t.after(() => clearInterval(typing));
  const { code, reason } = await got.closed;
  const late = Date.now() - expMs;
  assert.equal(code, 1008);
  assert.equal(reason, 'session expired');
  assert.ok(late >= 0 && late < 5000, `closed ${late} ms after expiry`);
  assert.ok(got.bytes().length > 0, 'the session worked until then');
  await released(proxy);
  await waitFor(() => echo.sockets.every((s) => s.destroyed), 'backend closed');
  assert.ok(!proxy.rawLogs.some((l) => l.includes(jwt) || l.includes(expired)), 'no JWT in logs');
});

test('A9: the 6th bad credential from one address gets 429 with Retry-After; other addresses are unaffected', async (t) => {
  const { proxy, recorder } = await setup(t, tokenAuth);
  const statuses: number[] = [];
  let retryAfter: string | undefined;
  for (let i = 0; i < 6; i++) {
    const res = await rawUpgrade(proxy.port, {
      path: '/ws?host=rec',
      origin: PUBLIC_URL,
      headers: [['Authorization', `Bearer wrong-guess-number-${i}-xxxxxxxx`]],
    });
    res.socket.destroy();
    statuses.push(res.status);
    retryAfter = res.headers['retry-after'];
  }
  assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
  const seconds = Number(retryAfter);
  assert.ok(seconds > 290 && seconds <= 300, `Retry-After ${retryAfter}: the ban lasts 300 s`);
  // Banned means banned, even with the right token.
  assert.equal(await raw(proxy, { headers: [['Authorization', `Bearer ${TOKEN}`]] }), 429);
  await assertNeverDialled(recorder);
  assert.equal(refusals(proxy).length, 7, 'one log line per refusal');
  // Another client address is not locked out.
  assert.equal(
    await raw(proxy, { localAddress: OTHER_IP, headers: [['Authorization', `Bearer ${TOKEN}`]] }),
    101,
  );
  // The JSON API shares the lockout.
  const api = await httpRequest(proxy.port, {
    path: '/api/hosts',
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(api.status, 429);
  assert.ok(Number(api.headers['retry-after']) > 0);
  assert.equal(proxy.logs.filter((l) => l.event === 'auth.locked').length, 1);
});

test('A9: password mode: the 6th failed login from one address gets 429; the lockout covers upgrades', async (t) => {
  const password = 'a long and good password';
  const passwordHash = await hashPassword(password);
  const { proxy } = await setup(t, {
    auth: { mode: 'password', users: [{ name: 'alice', passwordHash }] },
  });
  const login = (pw: string, localAddress?: string) =>
    httpRequest(proxy.port, {
      method: 'POST',
      path: '/login',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user: 'alice', password: pw }).toString(),
      ...(localAddress === undefined ? {} : { localAddress }),
    });
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await login(`wrong ${i}`);
    statuses.push(res.status);
    assert.equal(res.headers.location, '/login?failed=1');
  }
  const sixth = await login(password);
  statuses.push(sixth.status);
  assert.deepEqual(statuses, [303, 303, 303, 303, 303, 429]);
  assert.ok(Number(sixth.headers['retry-after']) > 290);
  assert.equal(sixth.headers['set-cookie'], undefined, 'no session for a banned address');
  // Another address logs in, and its cookie opens a session.
  const ok = await login(password, OTHER_IP);
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.location, '/');
  const cookie = ok.headers['set-cookie']?.[0] ?? '';
  assert.match(cookie, /^porthole_session=/);
  assert.match(cookie, /HttpOnly/i);
  assert.match(cookie, /Secure/i);
  assert.match(cookie, /SameSite=Strict/i);
  const session = cookie.split(';')[0] ?? '';
  assert.equal(await raw(proxy, { localAddress: OTHER_IP, headers: [['Cookie', session]] }), 101);
  // The banned address cannot use a valid cookie either.
  assert.equal(await raw(proxy, { headers: [['Cookie', session]] }), 429);
  const fails = proxy.logs.filter((l) => l.event === 'auth.fail');
  assert.equal(fails.length, 5, 'one auth.fail line per failed login');
  assert.equal(
    proxy.logs.filter((l) => l.event === 'auth.locked').length,
    1,
    'and one for the 429',
  );
  assert.ok(!proxy.rawLogs.some((l) => l.includes(password) || l.includes('wrong 1')));
});

test('A10: a token in the query string is redacted in every log line; pages send no Referer', async (t) => {
  const { proxy } = await setup(t, { ...tokenAuth, allowMissingOrigin: true });
  const wrong = 'not-the-token-but-secret-too-1234';
  assert.equal(await raw(proxy, { path: `/ws?host=rec&token=${wrong}` }), 401);
  assert.equal(await raw(proxy, { path: `/ws?token=${TOKEN}&host=nope` }), 404);
  assert.equal(
    await raw(proxy, { path: `/ws?host=rec&token=${TOKEN}`, origin: 'https://x.test' }),
    403,
  );
  const ws = await openSession(proxy, 'echo', {
    protocol: 'binary',
    origin: PUBLIC_URL,
    query: `token=${TOKEN}`,
  });
  ws.close();
  await released(proxy);
  const api = await httpRequest(proxy.port, { path: `/api/hosts?token=${wrong}` });
  assert.equal(api.status, 401);
  for (const line of proxy.rawLogs) {
    assert.ok(!line.includes(TOKEN), `token in log line ${line}`);
    assert.ok(!line.includes(wrong), `token in log line ${line}`);
  }
  const urls = refusals(proxy).map((l) => String(l.url));
  assert.ok(
    urls.every((u) => u.includes('token=[redacted]')),
    urls.join(' '),
  );
  const page = await httpRequest(proxy.port, { path: '/' });
  assert.equal(page.headers['referrer-policy'], 'no-referrer');
});

test('A11: X-Forwarded-For from an untrusted peer is ignored for per-address caps and logs', async (t) => {
  const { proxy } = await setup(t, { limits: { maxSessionsPerIp: 2 } });
  const open = (xff: string, localAddress?: string) =>
    openSession(proxy, 'echo', {
      protocol: 'binary',
      origin: PUBLIC_URL,
      headers: { 'X-Forwarded-For': xff },
      ...(localAddress === undefined ? {} : { localAddress }),
    });
  const a = await open('1.2.3.4');
  const b = await open('5.6.7.8');
  const third = await upgradeResponse(proxy, '/ws?host=echo', {
    origin: PUBLIC_URL,
    headers: { 'X-Forwarded-For': '9.9.9.9' },
  });
  assert.equal(third.status, 429, 'a fresh forged address does not buy a fresh quota');
  const opens = proxy.logs.filter((l) => l.event === 'session.open');
  assert.deepEqual(
    opens.map((l) => l.ip),
    ['127.0.0.1', '127.0.0.1'],
  );
  assert.equal(refusals(proxy)[0]?.ip, '127.0.0.1');
  assert.ok(!proxy.rawLogs.some((l) => /1\.2\.3\.4|5\.6\.7\.8|9\.9\.9\.9/.test(l)));
  a.close();
  b.close();
  await released(proxy);
});

test('A11: X-Forwarded-For is honoured only from a configured trusted proxy', async (t) => {
  const { proxy } = await setup(t, {
    trustedProxies: ['127.0.0.1'],
    limits: { maxSessionsPerIp: 2 },
  });
  const open = (xff: string, localAddress?: string) =>
    openSession(proxy, 'echo', {
      protocol: 'binary',
      origin: PUBLIC_URL,
      headers: { 'X-Forwarded-For': xff },
      ...(localAddress === undefined ? {} : { localAddress }),
    });
  const sessions = [await open('1.2.3.4'), await open('1.2.3.4')];
  const third = await upgradeResponse(proxy, '/ws?host=echo', {
    origin: PUBLIC_URL,
    headers: { 'X-Forwarded-For': '1.2.3.4' },
  });
  assert.equal(third.status, 429, 'the per-address cap applies to the forwarded address');
  sessions.push(await open('5.6.7.8'));
  // 127.0.0.2 is not a trusted proxy: its header is ignored.
  sessions.push(await open('1.2.3.4', OTHER_IP));
  const opens = proxy.logs.filter((l) => l.event === 'session.open').map((l) => l.ip);
  assert.deepEqual(opens, ['1.2.3.4', '1.2.3.4', '5.6.7.8', OTHER_IP]);
  assert.equal(refusals(proxy)[0]?.ip, '1.2.3.4');
  for (const s of sessions) s.close();
  await released(proxy);
});

test('A12: POST upgrade 405, version 12 gets 400 naming the version, a bad key 400; no crash', async (t) => {
  const { proxy, recorder } = await setup(t);
  const post = await rawUpgrade(proxy.port, {
    method: 'POST',
    path: '/ws?host=rec',
    origin: PUBLIC_URL,
  });
  post.socket.destroy();
  assert.equal(post.status, 405);
  const v12 = await rawUpgrade(proxy.port, {
    version: '12',
    path: '/ws?host=rec',
    origin: PUBLIC_URL,
  });
  v12.socket.destroy();
  assert.equal(v12.status, 400);
  assert.match(v12.headers['sec-websocket-version'] ?? '', /13/);
  for (const key of ['abc', 'not base64 at all!!!!!==', null, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
    assert.equal(await raw(proxy, { key }), 400, `key ${key}`);
  }
  assert.equal(await raw(proxy, { version: '' }), 400);
  await assertNeverDialled(recorder);
  assert.equal(refusals(proxy).length, 7, 'one log line per refusal');
  // A request that is not an upgrade at all is an ordinary 404 page.
  const plain = await rawHttp(
    proxy.port,
    `GET /ws?host=rec HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
  );
  assert.notEqual(plain.status, 101);
  await canaryRoundTrip(proxy, 'echo', { origin: PUBLIC_URL });
});

test('A13: a session id cannot be used to attach to another session (resume needs its token)', async (t) => {
  const { proxy } = await setup(t);
  const first = await openSession(proxy, 'echo', { origin: PUBLIC_URL });
  const firstGot = collect(first);
  await waitFor(() => firstGot.control.some((m) => m.type === 'hello'), 'hello');
  const id = String(firstGot.control.find((m) => m.type === 'hello')?.session);
  const second = await openSession(proxy, 'echo', {
    origin: PUBLIC_URL,
    query: `session=${id}&resume=${id}`,
  });
  const secondGot = collect(second);
  // Resume exists (issue 13), but a session id is not its token: refused (4020), attached to nothing.
  assert.equal((await secondGot.closed).code, 4020);
  assert.ok(!secondGot.control.some((m) => m.type === 'hello'), 'no hello for the second');
  first.send(Buffer.from('only-for-the-first'));
  await waitFor(() => firstGot.bytes().toString() === 'only-for-the-first', 'echo');
  await sleep(100);
  assert.equal(secondGot.bytes().length, 0, 'nothing of the first session reaches the second');
  first.close();
  await released(proxy);
});

test('an upgrade path URL() cannot parse (//, /\\, //[) is a 400, not a crashed process', async (t) => {
  const proxy = await withProxy(t, { hosts: [{ id: 'echo', name: 'Echo' }] });
  for (const path of ['//', '/\\', '//[']) {
    const res = await rawUpgrade(proxy.port, { path });
    assert.equal(res.status, 400, path);
  }
  const ws = await openSession(proxy, 'echo');
  const got = collect(ws);
  ws.send(Buffer.from('alive'));
  await waitFor(() => got.bytes().toString() === 'alive', 'the server still works');
});

/** A second token (the file's TOKEN is for alice). */
const SECOND_TOKEN = 'a-valid-token-of-enough-length';

test('A9: a valid credential does not wipe the failures of guesses from the same address', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [{ id: 'echo', name: 'Echo' }],
    auth: { mode: 'token', tokens: [{ name: 'me', token: SECOND_TOKEN }] },
  });
  const api = (token: string): Promise<Response> =>
    fetch(`http://127.0.0.1:${proxy.port}/api/info`, {
      headers: { authorization: `Bearer ${token}` },
    });
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    statuses.push((await api(`wrong-guess-number-${i}-xxxxxxxx`)).status);
    statuses.push((await api(SECOND_TOKEN)).status);
  }
  statuses.push((await api('wrong-guess-number-5-xxxxxxxx')).status);
  statuses.push((await api(SECOND_TOKEN)).status);
  assert.deepEqual(statuses, [401, 200, 401, 200, 401, 200, 401, 200, 401, 429]);
});

test('a malformed cookie is a 401 like any bad credential, not a server error', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [{ id: 'echo', name: 'Echo', target: 'tcp://127.0.0.1:1' }],
    auth: { mode: 'token', tokens: [{ name: 'me', token: SECOND_TOKEN }] },
  });
  const res = await fetch(`http://127.0.0.1:${proxy.port}/api/info`, {
    headers: { cookie: 'porthole_token=%E0' },
  });
  assert.equal(res.status, 401);
  const up = await upgradeStatus(proxy, '/ws?host=echo', {
    headers: { cookie: 'porthole_token=%E0' },
  });
  assert.equal(up, 401);
});
