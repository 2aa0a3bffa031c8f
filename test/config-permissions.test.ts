/**
 * SECURITY.md H12: a config file holding secrets that every user may read is warned about
 * at start (one `config.warning` log line naming the keys, never their values).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveConfig } from '../server/config/config.ts';
import { loosePermissionsWarning } from '../server/config/file-permissions.ts';

const MAIN = new URL('../server/main.ts', import.meta.url).pathname;
const TOKEN = 'a-secret-token-that-must-not-leak';
const INPUT = {
  listen: { host: '127.0.0.1', port: 0 },
  auth: { mode: 'token', tokens: [{ name: 'ops', token: TOKEN }] },
  hosts: [{ id: 'lab', name: 'Lab', target: 'tcp://127.0.0.1:9' }],
};

/** Starts the real CLI on `path`, returns its log lines once it listens, then stops it. */
async function startupLog(path: string): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--config', path], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const deadline = Date.now() + 20_000;
  // The warning is logged right after the "running at" line.
  while (!/"event":"listening"/.test(out) || !err.includes('running at')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return out;
}

test('H12: a world-readable config with secrets is warned about at start; 0600 and 0640 are not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-perms-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'porthole.json');
  writeFileSync(path, JSON.stringify(INPUT));
  chmodSync(path, 0o644);
  const loose = await startupLog(path);
  const warning = loose
    .split('\n')
    .filter((l) => l.includes('config.warning'))
    .map((l) => JSON.parse(l) as { msg: string });
  assert.equal(warning.length, 1, loose);
  assert.match(warning[0]?.msg ?? '', /holds auth\.tokens but is open to every user \(mode 0644\)/);
  assert.ok(!loose.includes(TOKEN), 'the secret itself is never logged');
  chmodSync(path, 0o600);
  assert.ok(!(await startupLog(path)).includes('config.warning'));
  const config = resolveConfig(INPUT);
  chmodSync(path, 0o640);
  assert.equal(loosePermissionsWarning(path, config), undefined, 'a service group may read it');
  chmodSync(path, 0o660);
  assert.match(loosePermissionsWarning(path, config) ?? '', /its group \(write\)/);
  const none = resolveConfig({ hosts: INPUT.hosts });
  chmodSync(path, 0o666);
  assert.equal(loosePermissionsWarning(path, none), undefined, 'nothing secret in it');
});
