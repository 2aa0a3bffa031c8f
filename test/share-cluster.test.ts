/**
 * Watch links under `--workers 2` (issue 13): the primary hands connections to the workers in
 * turn, so spectators land on both workers. A link names its worker (`2.` + 128 random
 * bits); the other worker hands the connection to it through the primary
 * (resume-route.ts), so every spectator gets the replay and then the owner's live output.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { WebSocket } from 'ws';
import { SUBPROTOCOL } from '../shared/protocol.ts';
import { startBackend } from './helpers/backends.ts';
import { type Collected, collect, waitFor } from './helpers/proxy.ts';

const MAIN = new URL('../server/main.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'porthole-share-cluster-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function connect(url: string, origin: string): Promise<{ ws: WebSocket; got: Collected }> {
  const ws = new WebSocket(url, SUBPROTOCOL, { origin });
  const got = collect(ws);
  await once(ws, 'open');
  return { ws, got };
}

test('--workers 2: spectators on either worker see the owner output (links handed to the owner worker)', async (t) => {
  const backend = await startBackend((s) => s.pipe(s));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      hosts: [{ id: 'echo', name: 'Echo', target: backend.target, share: true }],
    }),
  );
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, '--workers', '2', '--config', config],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const keep = (c: Buffer): void => {
    out += c.toString('utf8');
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  t.after(async () => {
    child.kill('SIGKILL');
    await backend.close();
  });
  const ports = (): string[] =>
    [...out.matchAll(/running at http:\/\/127\.0\.0\.1:(\d+)\//g)].map((m) => m[1] ?? '');
  await waitFor(() => ports().length >= 2, 'two workers listening', 60_000);
  assert.doesNotMatch(out, /share\.workers/, 'no start-up warning about watch links');
  const origin = `http://127.0.0.1:${ports()[0]}`;
  const base = `ws://127.0.0.1:${ports()[0]}/ws`;
  const owner = await connect(`${base}?host=echo`, origin);
  await waitFor(() => owner.got.control.some((m) => m.type === 'hello'), 'hello');
  owner.ws.send(Buffer.from('before the share\r\n'));
  await waitFor(() => owner.got.bytes().toString().includes('before the share'), 'echo');
  owner.ws.send(JSON.stringify({ type: 'share', ttl: 600 }));
  await waitFor(() => owner.got.control.some((m) => m.type === 'shared'), 'shared');
  const url = String(owner.got.control.find((m) => m.type === 'shared')?.url);
  const token = /\/watch\/([A-Za-z0-9._-]+)$/.exec(url)?.[1] ?? '';
  assert.match(token, /^\d+\.[A-Za-z0-9_-]{22}$/, 'the link names its worker');

  const spectators: { ws: WebSocket; got: Collected }[] = [];
  for (let i = 0; i < 6; i++) spectators.push(await connect(`${base}?watch=${token}`, origin));
  for (const [i, s] of spectators.entries()) {
    await waitFor(
      () => s.got.control.some((m) => m.type === 'hello' && m.role === 'spectator'),
      `spectator ${i} hello`,
    );
    await waitFor(() => s.got.bytes().toString().includes('before the share'), `replay ${i}`);
  }
  await waitFor(
    () => owner.got.control.some((m) => m.type === 'viewers' && m.count === 6),
    'the owner counts six viewers',
  );
  owner.ws.send(Buffer.from('live after six\r\n'));
  for (const [i, s] of spectators.entries())
    await waitFor(() => s.got.bytes().toString().includes('live after six'), `live ${i}`);
  for (const s of spectators)
    assert.equal(s.got.bytes().toString().split('live after six').length, 2, 'once');
  assert.equal(backend.sockets.length, 1, 'one backend connection');
  const routed = (out.match(/"event":"share\.watch-routed"/g) ?? []).length;
  assert.ok(routed >= 1, `spectators were handed between workers (${routed})`);
  t.diagnostic(`${routed} of 6 spectators were handed to the owner's worker`);
  for (const s of [...spectators, owner]) s.ws.close(1000);
});
