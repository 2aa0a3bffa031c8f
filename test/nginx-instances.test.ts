/**
 * Two Porthole instances (separate processes) behind Debian's nginx running the shipped
 * deploy/nginx/two-instances.conf (issue 13 and 16): tokens carry the instance's
 * `instanceId`, nginx maps them back to it. A session opened through nginx, its TCP socket
 * destroyed without a close frame, resumed through nginx with from=N, lands on the same
 * instance and gets every byte after N exactly once over its one backend connection; watch
 * links reach the owner's instance too.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, type TestContext, test } from 'node:test';
import { WebSocket } from 'ws';
import { SUBPROTOCOL } from '../shared/protocol.ts';
import { startBackend } from './helpers/backends.ts';
import { acking, counterBackend, expected } from './helpers/counter.ts';
import { startNginxHttp } from './helpers/nginx.ts';
import { type Collected, collect, waitFor } from './helpers/proxy.ts';
import { sleep } from './helpers/security.ts';

const MAIN = new URL('../server/main.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'porthole-nginx-instances-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const address = s.address();
  await new Promise((r) => s.close(r));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Instance {
  id: string;
  port: number;
  out: () => string;
}

async function startInstance(t: TestContext, id: string, hosts: unknown[]): Promise<Instance> {
  const port = await freePort();
  const config = join(dir, `${id}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      listen: { host: '127.0.0.1', port },
      instanceId: id,
      trustedProxies: ['127.0.0.1'],
      hosts,
      limits: { resume: '2m' },
    }),
  );
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, '--config', config],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const keep = (c: Buffer): void => {
    out += c.toString('utf8');
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  t.after(() => child.kill('SIGKILL'));
  await waitFor(() => out.includes(`:${port}/`), `instance ${id} listening`, 60_000);
  return { id, port, out: () => out };
}

async function startNginx(t: TestContext, a: number, b: number): Promise<number> {
  const nginx = await startNginxHttp((port) =>
    readFileSync(new URL('../deploy/nginx/two-instances.conf', import.meta.url), 'utf8')
      .replaceAll('127.0.0.1:8081', `127.0.0.1:${a}`)
      .replaceAll('127.0.0.1:8082', `127.0.0.1:${b}`)
      .replace(/listen 80;/, `listen 127.0.0.1:${port};`)
      .replace(/listen \[::\]:80;/, ''),
  );
  t.after(() => nginx.close());
  return nginx.port;
}

/** A reader that acks like the client, so the counter stream keeps flowing. */
async function open(url: string, origin: string): Promise<{ ws: WebSocket; got: Collected }> {
  const ws = acking(new WebSocket(url, SUBPROTOCOL, { origin }));
  const got = collect(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, got };
}

const helloOf = (got: Collected): Record<string, unknown> | undefined =>
  got.control.find((m) => m.type === 'hello');

test('two instances behind nginx: resumes and watch links go back to the instance holding the session', async (t) => {
  const backend = await counterBackend();
  const echo = await startBackend((s) => s.pipe(s));
  t.after(async () => {
    await backend.close();
    await echo.close();
  });
  const hosts = [
    { id: 'count', name: 'Count', target: backend.target },
    { id: 'echo', name: 'Echo', target: echo.target, share: true },
  ];
  const [a, b] = await Promise.all([startInstance(t, 'a', hosts), startInstance(t, 'b', hosts)]);
  const port = await startNginx(t, a.port, b.port);
  const origin = `http://127.0.0.1:${port}`;
  const base = `ws://127.0.0.1:${port}/ws?host=count`;

  let reader = await open(base, origin);
  await waitFor(() => helloOf(reader.got) !== undefined, 'hello');
  const token = (helloOf(reader.got)?.resume as { token: string } | undefined)?.token ?? '';
  assert.match(token, /^[ab]\.[A-Za-z0-9_-]{22}$/, 'the token names its instance');
  const owner = token.startsWith('a.') ? a : b;
  const other = owner === a ? b : a;
  let n = 0;
  for (let round = 0; round < 4; round++) {
    await waitFor(() => reader.got.bytes().length >= 32 * 1024, `output ${round}`);
    // No close frame: the TCP socket is destroyed, as when a phone drops off the network.
    (reader.ws as unknown as { _socket: Socket })._socket.destroy();
    const before = reader.got.bytes();
    assert.ok(before.equals(expected(n, before.length)), `round ${round}: in order`);
    n += before.length;
    await sleep(200);
    reader = await open(`${base}&resume=${token}&from=${n}`, origin);
    await waitFor(() => helloOf(reader.got) !== undefined, `resumed hello ${round}`);
    assert.deepEqual(helloOf(reader.got)?.resumed, { from: n }, `round ${round}`);
  }
  await waitFor(() => reader.got.bytes().length >= 64 * 1024, 'output after the last resume');
  const last = reader.got.bytes();
  assert.ok(last.equals(expected(n, last.length)), 'every byte after N once, in order');
  assert.equal(backend.sockets.length, 1, 'one backend connection throughout');
  assert.equal((owner.out().match(/"event":"session.resume"/g) ?? []).length, 4, owner.out());
  assert.doesNotMatch(
    other.out(),
    /"event":"session.(open|resume)"/,
    'the other instance saw none',
  );
  reader.ws.close(1000);

  // Watch links: four spectators through nginx all reach the owner's instance.
  const sharer = await open(`ws://127.0.0.1:${port}/ws?host=echo`, origin);
  await waitFor(() => helloOf(sharer.got) !== undefined, 'echo hello');
  sharer.ws.send(Buffer.from('shared line\r\n'));
  await waitFor(() => sharer.got.bytes().toString().includes('shared line'), 'echo');
  sharer.ws.send(JSON.stringify({ type: 'share', ttl: 600 }));
  await waitFor(() => sharer.got.control.some((m) => m.type === 'shared'), 'shared');
  const url = String(sharer.got.control.find((m) => m.type === 'shared')?.url);
  const link = /\/watch\/([A-Za-z0-9._-]+)$/.exec(url)?.[1] ?? '';
  assert.match(link, /^[ab]\.[A-Za-z0-9_-]{22}$/, 'the link names its instance');
  // The spectator page (the client build) answers for a dotted link from either instance.
  const page = await fetch(`${origin}/watch/${link}`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /watch/);
  const watchers = [];
  for (let i = 0; i < 4; i++)
    watchers.push(await open(`ws://127.0.0.1:${port}/ws?watch=${link}`, origin));
  sharer.ws.send(Buffer.from('live line\r\n'));
  for (const [i, w] of watchers.entries()) {
    await waitFor(() => helloOf(w.got)?.role === 'spectator', `spectator ${i}`);
    await waitFor(() => w.got.bytes().toString().includes('live line'), `live ${i}`);
  }
  for (const w of [...watchers, sharer]) w.ws.close(1000);
});
