/**
 * Secrets outside the config body (`cookieSecretFile`, `secretEnv`, `tokens[].tokenFile`, ...)
 * and the PORTHOLE_PUBLIC_URL / PORTHOLE_LOG_LEVEL environment variables.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveConfig } from '../server/config/config.ts';
import { waitFor } from './helpers/proxy.ts';

const dir = mkdtempSync(join(tmpdir(), 'porthole-secrets-'));
const HOSTS = [{ id: 'demo', name: 'Demo', target: 'builtin:demo' }];

test('XFile and XEnv fill in secret keys; the values are validated like inline ones', () => {
  const cookie = join(dir, 'cookie-secret');
  writeFileSync(cookie, `${'c'.repeat(40)}\n`);
  const token = join(dir, 'ops-token');
  writeFileSync(token, 'a-token-from-a-kubernetes-secret\n');
  const password = resolveConfig({
    hosts: HOSTS,
    auth: {
      mode: 'password',
      users: [{ name: 'a', passwordHash: 'scrypt$131072$8$1$x$y' }],
      cookieSecretFile: cookie,
    },
  });
  assert.equal(password.auth.mode === 'password' && password.auth.cookieSecret, 'c'.repeat(40));
  const tokens = resolveConfig(
    {
      hosts: HOSTS,
      auth: {
        mode: 'token',
        tokens: [
          { name: 'ops', tokenFile: token },
          { name: 'ci', tokenEnv: 'CI_TOKEN' },
        ],
      },
    },
    { CI_TOKEN: 'ci-token-from-the-environment' },
  );
  assert.deepEqual(tokens.auth.mode === 'token' && tokens.auth.tokens.map((t) => t.token), [
    'a-token-from-a-kubernetes-secret',
    'ci-token-from-the-environment',
  ]);
  const jwt = resolveConfig(
    { hosts: HOSTS, auth: { mode: 'jwt', secretEnv: 'JWT', maxTokenAge: '1h' } },
    { JWT: 'j'.repeat(40) },
  );
  assert.equal(jwt.auth.mode === 'jwt' && jwt.auth.secret, 'j'.repeat(40));
});

test('bad secret keys are errors naming the key', () => {
  const bad = (auth: unknown, env: Record<string, string> = {}): string => {
    try {
      resolveConfig({ hosts: HOSTS, auth }, env);
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };
  assert.match(
    bad({ mode: 'jwt', secretEnv: 'NOPE', maxTokenAge: '1h' }),
    /auth\.secretEnv: NOPE is not set/,
  );
  assert.match(
    bad({ mode: 'token', tokens: [{ name: 'x', tokenFile: join(dir, 'missing') }] }),
    /auth\.tokens\[0\]\.tokenFile: cannot read .*missing: ENOENT/,
  );
  assert.match(
    bad({ mode: 'jwt', secret: 'x'.repeat(40), secretEnv: 'J', maxTokenAge: '1h' }, { J: 'y' }),
    /auth\.secretEnv: give secret or secretEnv, not both/,
  );
  const short = join(dir, 'short');
  writeFileSync(short, 'short\n');
  assert.match(
    bad({
      mode: 'password',
      users: [{ name: 'a', passwordHash: 'scrypt$1' }],
      cookieSecretFile: short,
    }),
    /auth\.cookieSecret: must be at least 32 characters/,
    'the value read is validated like an inline one',
  );
});

test('PORTHOLE_PUBLIC_URL joins the Host allowlist and PORTHOLE_LOG_LEVEL quiets the log', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORTHOLE_PUBLIC_URL: 'https://play.example.org',
      PORTHOLE_LOG_LEVEL: 'warn',
    },
  });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  await waitFor(() => /running at http:\/\/127\.0\.0\.1:\d+/.test(err), 'listening', 20_000);
  const port = Number(/running at http:\/\/127\.0\.0\.1:(\d+)/.exec(err)?.[1]);
  const status = (host: string): Promise<number> =>
    new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/api/hosts', headers: { Host: host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
  assert.equal(await status('play.example.org'), 200);
  assert.equal(await status('evil.example'), 421);
  assert.doesNotMatch(out, /"event":"listening"/, 'info lines are below warn');
});
