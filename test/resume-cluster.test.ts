/**
 * Resume under `--workers 2` (issue 13): the primary hands connections to the workers in
 * turn, so a browser coming back usually lands on the other worker. That worker passes the
 * connection to the one holding the session (resume-route.ts); every resume must get the
 * bytes after N exactly once, over the session's one backend connection.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { WebSocket } from 'ws';
import { SUBPROTOCOL } from '../shared/protocol.ts';
import { counterBackend, expected } from './helpers/counter.ts';
import { sleep } from './helpers/security.ts';

const MAIN = new URL('../server/main.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'porthole-resume-cluster-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Reader {
  ws: WebSocket;
  bytes: Buffer[];
  received: () => number;
  hello: () => Record<string, unknown> | undefined;
  closed: Promise<number>;
}

async function open(url: string, origin: string): Promise<Reader> {
  const ws = new WebSocket(url, SUBPROTOCOL, { origin });
  const bytes: Buffer[] = [];
  let hello: Record<string, unknown> | undefined;
  let received = 0;
  let pending = 0;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      const msg = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      if (msg.type === 'hello') hello = msg;
      return;
    }
    bytes.push(data);
    received += data.length;
    pending += data.length;
    if (pending >= 32 * 1024) {
      ws.send(JSON.stringify({ type: 'ack', bytes: pending }));
      pending = 0;
    }
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, bytes, received: () => received, hello: () => hello, closed };
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('--workers 2: a resume reaches the worker holding the session; bytes after N exactly once', async (t) => {
  const backend = await counterBackend();
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      hosts: [{ id: 'count', name: 'Count', target: backend.target }],
      limits: { resume: '2m' },
    }),
  );
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, '--workers', '2', '--config', config],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  t.after(async () => {
    child.kill('SIGKILL');
    await backend.close();
  });
  const ports = (): string[] =>
    [...out.matchAll(/running at http:\/\/127\.0\.0\.1:(\d+)\//g)].map((m) => m[1] ?? '');
  await until('two workers listening', () => ports().length >= 2, 30_000);
  const origin = `http://127.0.0.1:${ports()[0]}`;
  const base = `ws://127.0.0.1:${ports()[0]}/ws?host=count`;
  let reader = await open(base, origin);
  await until('hello', () => reader.hello() !== undefined);
  const hello = reader.hello();
  const token = (hello?.resume as { token: string } | undefined)?.token ?? '';
  assert.match(token, /^\d+\.[A-Za-z0-9_-]{22}$/, 'the token names its worker');
  let n = 0;
  for (let round = 0; round < 4; round++) {
    await until('output', () => reader.received() >= 32 * 1024);
    (reader.ws as unknown as { _socket: Socket })._socket.destroy();
    const before = Buffer.concat(reader.bytes);
    assert.ok(before.equals(expected(n, before.length)), `round ${round}: in order`);
    n += reader.received();
    await sleep(200);
    reader = await open(`${base}&resume=${token}&from=${n}`, origin);
    await until('the resumed hello', () => reader.hello() !== undefined);
    assert.deepEqual(reader.hello()?.resumed, { from: n }, `round ${round}`);
  }
  await until('output after the last resume', () => reader.received() >= 64 * 1024);
  const last = Buffer.concat(reader.bytes);
  assert.ok(last.equals(expected(n, last.length)), 'in order after the last resume');
  assert.equal(backend.sockets.length, 1, 'one backend connection throughout');
  const routed = (out.match(/"event":"session.resume-routed"/g) ?? []).length;
  assert.ok(routed >= 1, `at least one resume was handed between workers (${routed})`);
  t.diagnostic(`${routed} of 4 resumes were handed to the other worker`);
  reader.ws.close(1000);
});
