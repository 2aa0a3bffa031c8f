/**
 * The admin view under `--workers 2` (issue 16), with the real CLI: sessions spread over both
 * workers (the primary hands connections out round-robin), and whichever worker answers a
 * request lists all of them and can end any of them (the primary asks every worker).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { WebSocket } from 'ws';
import type { AdminSessionsResponse } from '../shared/api.ts';
import { CloseCode } from '../shared/close-codes.ts';
import { SUBPROTOCOL } from '../shared/protocol.ts';
import { echoBackend } from './helpers/backends.ts';
import { collect, waitFor } from './helpers/proxy.ts';

const MAIN = new URL('../server/main.ts', import.meta.url).pathname;
const ADMIN = 'admin-token-0123456789';
const PLAYER = 'player-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'porthole-admin-cluster-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** One HTTP request on a fresh connection (so successive ones reach different workers). */
function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('--workers 2: every worker lists all sessions and ends any of them', async (t) => {
  const backend = await echoBackend();
  t.after(() => backend.close());
  const path = join(dir, 'config.json');
  writeFileSync(
    path,
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      auth: {
        mode: 'token',
        tokens: [
          { name: 'root', token: ADMIN, groups: ['admins'] },
          { name: 'player', token: PLAYER, groups: ['players'] },
        ],
      },
      hosts: [{ id: 'echo', name: 'Echo', target: `tcp://127.0.0.1:${backend.port}` }],
    }),
    { mode: 0o600 },
  );
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, '--workers', '2', '--config', path],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => child.kill('SIGKILL'));
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  child.stdout?.resume();
  const ports = (): string[] =>
    [...err.matchAll(/running at http:\/\/127\.0\.0\.1:(\d+)\//g)].map((m) => m[1] ?? '');
  await waitFor(() => ports().length >= 2, 'two workers listening', 60_000);
  const port = Number(ports()[0]);
  const origin = `http://127.0.0.1:${port}`;

  const N = 6;
  const sessions = [];
  for (let i = 0; i < N; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?host=echo`, SUBPROTOCOL, {
      origin,
      headers: { authorization: `Bearer ${PLAYER}` },
    });
    const got = collect(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    await waitFor(() => got.control.length > 0, 'hello');
    sessions.push({ ws, got });
  }
  await waitFor(() => backend.sockets.length === N, 'backend connections');

  const admin = { authorization: `Bearer ${ADMIN}` };
  // Four requests on fresh connections: round-robin sends them to both workers.
  let ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await call(port, 'GET', '/api/sessions', admin);
    assert.equal(r.status, 200);
    const list = (JSON.parse(r.body) as AdminSessionsResponse).sessions;
    assert.equal(list.length, N, `request ${i} lists every worker's sessions`);
    assert.ok(list.every((s) => s.user === 'player' && s.host === 'echo'));
    ids = list.map((s) => s.id).sort();
    assert.equal(new Set(ids).size, N);
  }
  const forbidden = await call(port, 'GET', '/api/sessions', {
    authorization: `Bearer ${PLAYER}`,
  });
  assert.equal(forbidden.status, 403);

  // End every session, each DELETE on a fresh connection (either worker).
  for (const id of ids) {
    const r = await call(port, 'DELETE', `/api/sessions/${id}`, { ...admin, origin });
    assert.equal(r.status, 204, id);
  }
  for (const { got } of sessions) assert.equal((await got.closed).code, CloseCode.ADMIN_ENDED);
  await waitFor(() => backend.sockets.every((s) => s.closed), 'backend sockets closed');
  const missing = await call(port, 'DELETE', `/api/sessions/${ids[0]}`, { ...admin, origin });
  assert.equal(missing.status, 404);
  const empty = await call(port, 'GET', '/api/sessions', admin);
  assert.deepEqual((JSON.parse(empty.body) as AdminSessionsResponse).sessions, []);
  child.kill('SIGTERM');
});
