/**
 * SECURITY.md H6: password mode under `--workers` without `cookieSecret`. Each worker used to
 * make its own key, so a login cookie was good on every other request only. The primary now
 * makes one key and hands it to every worker (and to replacements).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashPassword } from '../server/gateway/auth.ts';
import { httpRequest } from './helpers/security.ts';

const MAIN = new URL('../server/main.ts', import.meta.url).pathname;

test('H6: --workers 2 in password mode without cookieSecret: a login cookie works on every worker', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-cookie-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const password = 'a long and good password';
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      auth: {
        mode: 'password',
        users: [{ name: 'alice', passwordHash: await hashPassword(password) }],
      },
      hosts: [{ id: 'lab', name: 'Lab', target: 'tcp://127.0.0.1:9' }],
    }),
    { mode: 0o600 },
  );
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, '--workers', '2', '--config', config],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => child.kill('SIGKILL'));
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const deadline = Date.now() + 30_000;
  const ports = (): string[] =>
    [...err.matchAll(/running at http:\/\/127\.0\.0\.1:(\d+)\//g)].map((m) => m[1] ?? '');
  while (ports().length < 2) {
    if (Date.now() > deadline) throw new Error(`workers did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const port = Number(ports()[0]);
  const login = await httpRequest(port, {
    method: 'POST',
    path: '/login',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user: 'alice', password }).toString(),
  });
  assert.equal(login.headers.location, '/');
  const cookie = (login.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
  // New connections are handed out round-robin: twenty requests reach both workers.
  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await httpRequest(port, { path: '/api/hosts', headers: { Cookie: cookie } });
    statuses.push(res.status);
  }
  assert.deepEqual(new Set(statuses), new Set([200]), statuses.join(' '));
  child.kill('SIGTERM');
});
