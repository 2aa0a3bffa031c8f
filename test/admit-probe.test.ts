/** GET /api/admit explains a refused handshake (browsers only see 1006) without side effects. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openSession, withProxy } from './helpers/proxy.ts';

test('admit probe: ok, unknown host, capacity and per-address answers', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [
      { id: 'echo', name: 'Echo' },
      { id: 'tiny', name: 'Tiny', maxSessions: 1 },
    ],
    limits: { maxSessionsPerIp: 2 },
  });
  const ask = async (host: string): Promise<Record<string, unknown>> =>
    (await fetch(`http://127.0.0.1:${proxy.port}/api/admit?host=${host}`)).json() as Promise<
      Record<string, unknown>
    >;
  assert.deepEqual(await ask('echo'), { verdict: 'ok' });
  assert.deepEqual(await ask('nope'), { verdict: 'unknown-host' });
  assert.deepEqual(await ask('__proto__'), { verdict: 'unknown-host' });
  await openSession(proxy, 'tiny');
  assert.deepEqual(await ask('tiny'), { verdict: 'capacity', retryAfter: 30 });
  await openSession(proxy, 'echo');
  assert.deepEqual(await ask('echo'), { verdict: 'too-many', retryAfter: 30 });
  // Asking took no upgrade tokens: many probes do not rate-limit the next real session.
  for (let i = 0; i < 30; i++) await ask('echo');
  assert.equal(proxy.porthole.sessions.size, 2);
});

test('admit probe: a server with token auth says a sign-in is needed', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [{ id: 'echo', name: 'Echo' }],
    auth: { mode: 'token', tokens: [{ name: 'ops', token: 'x'.repeat(24) }] },
  });
  const res = await fetch(`http://127.0.0.1:${proxy.port}/api/admit?host=echo`);
  assert.deepEqual(await res.json(), { verdict: 'auth-required' });
  const withToken = await fetch(`http://127.0.0.1:${proxy.port}/api/admit?host=echo`, {
    headers: { authorization: `Bearer ${'x'.repeat(24)}` },
  });
  assert.deepEqual(await withToken.json(), { verdict: 'ok' });
  const hosts = await fetch(`http://127.0.0.1:${proxy.port}/api/hosts`);
  assert.equal(hosts.status, 401);
  assert.deepEqual(
    await hosts.json(),
    { error: 'auth-required' },
    'no login page link outside password mode',
  );
});
