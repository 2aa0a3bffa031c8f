/**
 * SIGHUP reloads the host list: a host added, one changed, one removed, logged as such;
 * the live sessions on the changed and the removed host stay open on their old backend;
 * new sessions see the new list. A config that no longer validates keeps the running one.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { echoBackend } from './helpers/backends.ts';
import { waitFor } from './helpers/proxy.ts';

const MAIN = ['--import', 'tsx', 'server/main.ts'];

function lines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function bridge(base: string, host: string): Promise<{ ws: WebSocket; got: () => string }> {
  const ws = new WebSocket(`ws://${base}/ws?host=${host}`, 'binary', { origin: `http://${base}` });
  const chunks: Buffer[] = [];
  ws.on('message', (d: Buffer) => chunks.push(d));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return { ws, got: () => Buffer.concat(chunks).toString() };
}

async function echoes(s: { ws: WebSocket; got: () => string }, text: string): Promise<void> {
  const before = s.got();
  s.ws.send(text);
  await waitFor(() => s.got() === before + text, `echo of ${text}`);
}

test('M4 SIGHUP: hosts added, changed and removed without dropping live sessions; logged; a bad file keeps the running list', async (t) => {
  const one = await echoBackend();
  const two = await echoBackend();
  t.after(async () => {
    await one.close();
    await two.close();
  });
  const file = join(mkdtempSync(join(tmpdir(), 'porthole-reload-')), 'porthole.yaml');
  const write = (hosts: string): void =>
    writeFileSync(file, `listen: { host: 127.0.0.1, port: 0 }\nhosts:\n${hosts}`);
  write(
    `  - { id: keep, name: Keep, target: "tcp://127.0.0.1:${one.port}" }\n` +
      `  - { id: moves, name: Moves, target: "tcp://127.0.0.1:${one.port}" }\n` +
      `  - { id: goes, name: Goes, target: "tcp://127.0.0.1:${one.port}" }\n`,
  );
  const child = spawn(process.execPath, [...MAIN, '--config', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
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
  const base = /running at http:\/\/(127\.0\.0\.1:\d+)/.exec(err)?.[1] ?? '';
  const moving = await bridge(base, 'moves');
  const going = await bridge(base, 'goes');
  await echoes(moving, 'a');
  await echoes(going, 'b');

  write(
    `  - { id: keep, name: Keep, target: "tcp://127.0.0.1:${one.port}" }\n` +
      `  - { id: moves, name: Moves, target: "tcp://127.0.0.1:${two.port}" }\n` +
      `  - { id: new, name: New, target: "tcp://127.0.0.1:${two.port}" }\n`,
  );
  child.kill('SIGHUP');
  await waitFor(() => lines(out).some((l) => l.event === 'config.reload'), 'reload', 10_000);
  const reload = lines(out).find((l) => l.event === 'config.reload');
  assert.deepEqual(
    [reload?.added, reload?.changed, reload?.removed],
    [['new'], ['moves'], ['goes']],
  );
  // Live sessions carry on, on the backend they started with.
  await echoes(moving, 'c');
  await echoes(going, 'd');
  assert.equal(one.sockets.length, 2);
  // New sessions see the new list.
  await echoes(await bridge(base, 'moves'), 'e');
  await echoes(await bridge(base, 'new'), 'f');
  assert.equal(two.sockets.length, 2, 'the changed and the added host dial the new backend');
  await assert.rejects(bridge(base, 'goes'), /HTTP 404/);

  writeFileSync(file, 'hosts:\n  - { id: BAD, name: x, target: "ssh://x" }\n');
  child.kill('SIGHUP');
  await waitFor(
    () => lines(out).some((l) => l.event === 'config.reload-failed'),
    'failure',
    10_000,
  );
  assert.match(
    String(lines(out).find((l) => l.event === 'config.reload-failed')?.detail),
    /hosts\[0\]/,
  );
  await echoes(await bridge(base, 'new'), 'g');
  await echoes(moving, 'h');
  assert.equal(child.exitCode, null);
});
