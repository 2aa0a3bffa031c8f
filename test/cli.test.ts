/** The command line: --port/--host overrides, and config errors that name the key. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const MAIN = ['--import', 'tsx', 'server/main.ts'];

test('--port and --host override the listen address; the server starts and answers', async (t) => {
  const child = spawn(process.execPath, [...MAIN, '--port', '0', '--host', '127.0.0.1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /running at (http:\/\/127\.0\.0\.1:\d+)\//.exec(err);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  const res = await fetch(`${url}/api/hosts`);
  assert.equal(res.status, 200);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, 'SIGTERM drains and exits 0');
});

test('a non-loopback --host without TLS is refused with the key named', () => {
  const r = spawnSync(process.execPath, [...MAIN, '--host', '0.0.0.0', '--port', '0'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /listen\.host: 0\.0\.0\.0 is not loopback/);
});

test('a bad config file exits 2 naming the file, the key and the problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-cli-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'hosts:\n  - id: x\n    name: X\n    target: gopher://x:70\n');
  const r = spawnSync(process.execPath, [...MAIN, '--config', file, '--port', '0'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 2);
  assert.ok(r.stderr.includes(file));
  assert.match(r.stderr, /hosts\[0\]\.target: must be telnet:\/\/HOST:PORT, telnets:\/\//);
});

test('PORTHOLE_PORT must be a port number', () => {
  const r = spawnSync(process.execPath, MAIN, {
    encoding: 'utf8',
    env: { ...process.env, PORTHOLE_PORT: 'http' },
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /PORTHOLE_PORT must be a port number/);
});
