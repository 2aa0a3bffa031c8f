import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import {
  CookieSigner,
  hashPassword,
  mayUse,
  secretEquals,
  verifyPassword,
} from '../server/gateway/auth.ts';
import { FailureLockout, TokenBucket } from '../server/gateway/rate-limit.ts';

test('password hashes verify the right password only, with a fresh salt each time', async () => {
  const a = await hashPassword('correct horse');
  const b = await hashPassword('correct horse');
  assert.notEqual(a, b);
  assert.ok(await verifyPassword('correct horse', a));
  assert.ok(!(await verifyPassword('correct horsf', a)));
  assert.ok(!(await verifyPassword('x', 'not-a-hash')));
  // Older hashes still verify; parameters asking for more than 256 MiB are refused unverified.
  const legacy =
    'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$' +
    (await import('node:crypto'))
      .scryptSync('old', Buffer.from('c2FsdHNhbHRzYWx0c2FsdA==', 'base64'), 32, { N: 16384 })
      .toString('base64');
  assert.ok(await verifyPassword('old', legacy));
  assert.ok(!(await verifyPassword('old', legacy.replace('$16384$', '$1048576$'))));
});

test('porthole --hash-password prints a hash that verifies', async () => {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'server/main.ts', '--hash-password'],
    {
      input: 'hunter2\n',
    },
  ).toString();
  assert.ok(await verifyPassword('hunter2', out.trim()));
  // OWASP's scrypt minimum: N = 2^17, r = 8, p = 1; verification has the memory for it.
  const [, n, r, p] = out.trim().split('$');
  assert.ok(Number(n) >= 2 ** 17, `N = ${n}`);
  assert.deepEqual([r, p], ['8', '1']);
});

test('signed cookies: tampering, foreign keys and expiry are all refused', () => {
  const signer = new CookieSigner('k'.repeat(32));
  const now = Date.now();
  const cookie = signer.sign({ user: 'alice', groups: ['players'], expiresAt: now + 60_000 });
  assert.deepEqual(signer.verify(cookie, now), {
    user: 'alice',
    groups: ['players'],
    expiresAt: now + 60_000,
  });
  const [body, mac] = cookie.split('.');
  const forged = `${Buffer.from(JSON.stringify(['root', ['admins'], now + 60_000])).toString('base64url')}.${mac}`;
  assert.equal(signer.verify(forged, now), undefined);
  assert.equal(signer.verify(`${body}.AAAA`, now), undefined);
  assert.equal(new CookieSigner('z'.repeat(32)).verify(cookie, now), undefined);
  assert.equal(signer.verify(cookie, now + 61_000), undefined, 'expired');
  assert.equal(signer.verify('garbage', now), undefined);
});

test('secretEquals compares any lengths without throwing', () => {
  assert.ok(secretEquals('abc', 'abc'));
  assert.ok(!secretEquals('abc', 'abcd'));
  assert.ok(!secretEquals('', 'x'));
});

test('per-host access lists by user or group', () => {
  const alice = { user: 'alice', groups: ['players'] };
  assert.ok(mayUse(alice, undefined));
  assert.ok(mayUse(alice, { users: [], groups: [] }));
  assert.ok(mayUse(alice, { users: ['alice'] }));
  assert.ok(mayUse(alice, { groups: ['players', 'admins'] }));
  assert.ok(!mayUse(alice, { users: ['bob'], groups: ['admins'] }));
});

test('token bucket: burst, then refill over time', () => {
  const b = new TokenBucket(60, 3);
  const t0 = 1_000_000;
  assert.ok(b.take('ip', t0) && b.take('ip', t0) && b.take('ip', t0));
  assert.ok(!b.take('ip', t0));
  assert.ok(b.retryAfterSeconds('ip') >= 1);
  assert.ok(b.take('other', t0), 'other keys are unaffected');
  assert.ok(b.take('ip', t0 + 1000), 'one token per second at 60/min');
});

test('lockout: the Nth failure in the window bans for the configured time', () => {
  const l = new FailureLockout(5, 60_000, 300_000);
  const t0 = 5_000_000;
  for (let i = 0; i < 4; i++) assert.equal(l.fail('ip', t0 + i), false);
  assert.equal(l.bannedFor('ip', t0 + 10), 0);
  assert.equal(l.fail('ip', t0 + 10), true);
  assert.equal(l.bannedFor('ip', t0 + 20), 300);
  assert.equal(l.bannedFor('ip', t0 + 300_011), 0);
  // Failures spread beyond the window do not add up.
  const m = new FailureLockout(3, 1000, 5000);
  assert.equal(m.fail('x', 0), false);
  assert.equal(m.fail('x', 2000), false);
  assert.equal(m.fail('x', 4000), false);
});
