/**
 * SECURITY.md H3 and H4: the login lockout cannot be raced (in-flight attempts count, a
 * small queue of its own for scrypt), and a foreign page cannot lock a visitor out.
 */
import assert from 'node:assert/strict';
import { randomBytes, scryptSync } from 'node:crypto';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { hashPassword } from '../server/gateway/auth.ts';
import { echoBackend } from './helpers/backends.ts';
import { collect, openSession, waitFor, withBackend, withProxy } from './helpers/proxy.ts';
import { rawUpgrade } from './helpers/raw-ws.ts';
import { echoOnce, httpRequest } from './helpers/security.ts';

const PASSWORD = 'a long and good password';

/** `scrypt$16384$8$1$salt$hash`: the format of porthole --hash-password, a cheaper N. */
function cheapHash(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
  return `scrypt$16384$8$1$${salt.toString('base64')}$${hash.toString('base64')}`;
}
const TOKEN = 'correct-horse-battery-staple-42';

const login = (port: number, password: string, localAddress = '127.0.0.1') =>
  httpRequest(port, {
    method: 'POST',
    path: '/login',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user: 'alice', password }).toString(),
    localAddress,
  });

test('H3: of 400 parallel guesses from one address at most authFailures are verified; the right one among the rest gets no cookie', async (t) => {
  const passwordHash = await hashPassword(PASSWORD);
  const proxy = await withProxy(t, {
    auth: { mode: 'password', users: [{ name: 'alice', passwordHash }] },
    // The connection cap (H9) would refuse most of the burst first; here the lockout must hold.
    limits: { maxConnectionsPerIp: 1000 },
  });
  const guesses = Array.from({ length: 400 }, (_, i) => (i === 200 ? PASSWORD : `wrong ${i}`));
  const answers = await Promise.all(guesses.map((pw) => login(proxy.port, pw)));
  const verified = answers.filter((a) => a.status === 303);
  assert.ok(verified.length <= 5, `${verified.length} guesses were verified`);
  assert.ok(verified.length >= 1, 'the first guesses are verified');
  assert.ok(
    answers.every((a) => a.status === 303 || a.status === 429),
    'the rest are refused as locked out',
  );
  assert.equal(answers[200]?.status, 429, 'the right password arrived too late');
  assert.ok(answers.every((a) => a.headers['set-cookie'] === undefined));
  const fails = proxy.logs.filter((l) => l.event === 'auth.fail').length;
  assert.ok(fails <= 5, `${fails} failures logged`);
  // Now banned for good: the right password does not help.
  assert.equal((await login(proxy.port, PASSWORD)).status, 429);
  assert.equal((await login(proxy.port, PASSWORD, '127.0.0.2')).status, 303);
});

test('H3: a login burst from many addresses leaves the threadpool to DNS: a session to a host named `localhost` connects meanwhile', async (t) => {
  // The burst is about the threadpool, not the work factor: 200 checks at N = 2^17 would take
  // minutes on two cores, so this hash uses the older N = 2^14 (still verified the same way).
  const passwordHash = cheapHash(PASSWORD);
  // Two servers in this process share its threadpool: one takes the logins, one dials by name.
  const passwords = await withProxy(t, {
    auth: { mode: 'password', users: [{ name: 'alice', passwordHash }] },
  });
  const echo = await withBackend(t, echoBackend());
  const named = await withProxy(t, {
    hosts: [{ id: 'named', target: `tcp://localhost:${echo.port}` }],
  });
  const addresses = Array.from({ length: 40 }, (_, i) => `127.0.1.${i + 1}`);
  const burst = Promise.all(
    addresses.flatMap((ip) =>
      Array.from({ length: 5 }, (_, i) => login(passwords.port, `wrong ${i}`, ip)),
    ),
  );
  await waitFor(
    () => passwords.logs.some((l) => l.event === 'auth.fail'),
    'the burst has begun',
    30_000,
  );
  const ws = await openSession(named, 'named', { protocol: 'binary' });
  const c = collect(ws);
  await echoOnce(ws, 20_000);
  const doneWhenServed = passwords.logs.filter((l) => l.event === 'auth.fail').length;
  ws.close(1000);
  const answers = await burst;
  assert.equal(answers.filter((a) => a.status === 303).length, 200, 'every guess was heard');
  assert.ok(
    doneWhenServed < 150,
    `the DNS session waited for ${doneWhenServed} of 200 password hashes`,
  );
  assert.equal((await c.closed).code, 1000);
});

test('H4: credentials on requests from a foreign page are ignored and not counted', async (t) => {
  const proxy = await withProxy(t, {
    auth: { mode: 'token', tokens: [{ name: 'alice', token: TOKEN }] },
  });
  const api = (token: string, headers: Record<string, string>) =>
    httpRequest(proxy.port, { path: `/api/hosts?token=${token}`, headers });
  // `<img src=/api/hosts?token=x>` on any site, ten times; also with a foreign Origin.
  for (let i = 0; i < 10; i++) {
    assert.equal((await api(`wrong-${i}`, { 'Sec-Fetch-Site': 'cross-site' })).status, 401);
    assert.equal((await api(`wrong-${i}`, { Origin: 'https://evil.example' })).status, 401);
    const probe = await httpRequest(proxy.port, {
      path: `/api/admit?host=echo&token=wrong-${i}`,
      headers: { 'Sec-Fetch-Site': 'same-site' },
    });
    assert.equal(JSON.parse(probe.body).verdict, 'auth-required');
  }
  // A foreign page cannot use a credential either (so the header cannot be forged to guess freely).
  assert.equal((await api(TOKEN, { 'Sec-Fetch-Site': 'cross-site' })).status, 401);
  // The visitor's own page still works: nothing was counted.
  assert.equal((await api(TOKEN, { 'Sec-Fetch-Site': 'same-origin' })).status, 200);
  assert.equal((await api(TOKEN, {})).status, 200);
  // Wrong guesses from the visitor's own page still count.
  for (let i = 0; i < 5; i++) await api(`bad-${i}`, { 'Sec-Fetch-Site': 'same-origin' });
  assert.equal((await api(TOKEN, {})).status, 429);
});

test('H4: foreign-origin upgrades do not drain the upgrade-rate bucket', async (t) => {
  const proxy = await withProxy(t, { limits: { upgradeBurst: 5, upgradesPerIpPerMinute: 1 } });
  for (let i = 0; i < 20; i++) {
    const res = await rawUpgrade(proxy.port, {
      path: '/ws?host=echo',
      origin: 'https://evil.example',
    });
    res.socket.destroy();
    assert.equal(res.status, 403);
  }
  const ws = await openSession(proxy, 'echo', { protocol: 'binary' });
  await echoOnce(ws);
  ws.close(1000);
});

test('H3: parallel JWT guesses are checked one at a time per address: at most authFailures verified', async (t) => {
  const secret = 'a-very-long-jwt-secret-of-at-least-32-chars';
  const proxy = await withProxy(t, {
    auth: { mode: 'jwt', secret },
    limits: { upgradeBurst: 1000, maxConnectionsPerIp: 1000 },
  });
  const bad = await new SignJWT({ sub: 'mallory' })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(`${secret}-but-not-quite`));
  const answers = await Promise.all(
    Array.from({ length: 100 }, () =>
      rawUpgrade(proxy.port, {
        path: '/ws?host=echo',
        headers: [['Authorization', `Bearer ${bad}`]],
      }),
    ),
  );
  for (const a of answers) a.socket.destroy();
  const statuses = answers.map((a) => a.status);
  assert.equal(statuses.filter((s) => s === 401).length, 5, statuses.join(' '));
  assert.equal(statuses.filter((s) => s === 429).length, 95);
});
