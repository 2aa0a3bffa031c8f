/**
 * `--workers N` (issue 4): N processes share one port, and SIGTERM to the primary drains
 * every worker and ends with exit code 0. A worker that cannot start stops the cluster with 2.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { WebSocket } from 'ws';
import { parseWorkers } from '../server/cluster.ts';
import { echoBackend } from './helpers/backends.ts';

const MAIN = new URL('../server/main.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'porthole-cluster-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A config file listening on 127.0.0.1:port with one (unused) raw TCP host. */
function configFile(port: number): string {
  const path = join(dir, `config-${port}.json`);
  const hosts = [{ id: 'lab', name: 'Lab', target: 'tcp://127.0.0.1:9' }];
  writeFileSync(path, JSON.stringify({ listen: { host: '127.0.0.1', port }, hosts }));
  return path;
}

function start(args: string[]): { child: ChildProcess; out: () => string; err: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
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
  return { child, out: () => out, err: () => err };
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

test('parseWorkers: whole numbers 1–64 and auto', () => {
  assert.equal(parseWorkers('1'), 1);
  assert.equal(parseWorkers('2'), 2);
  assert.ok((parseWorkers('auto') ?? 0) >= 1);
  for (const bad of ['0', '-1', '1.5', '65', 'two', ''])
    assert.equal(parseWorkers(bad), undefined, bad);
});

test('--workers 2: two workers share the port; SIGTERM drains both and exits 0', async (t) => {
  const proc = start(['--workers', '2', '--config', configFile(0)]);
  t.after(() => proc.child.kill('SIGKILL'));
  const ports = (): string[] =>
    [...proc.err().matchAll(/running at http:\/\/127\.0\.0\.1:(\d+)\//g)].map((m) => m[1] ?? '');
  await until('two workers listening', () => ports().length >= 2);
  assert.equal(new Set(ports()).size, 1, 'both workers listen on the same port');
  const status = await new Promise<number>((resolve, reject) =>
    get(`http://127.0.0.1:${ports()[0]}/healthz`, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject),
  );
  assert.equal(status, 200);
  proc.child.kill('SIGTERM');
  assert.equal(await exited(proc.child), 0);
  const events = proc
    .out()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => (JSON.parse(l) as { event?: string }).event);
  assert.equal(events.filter((e) => e === 'cluster.stop').length, 1);
  assert.equal(events.filter((e) => e === 'shutdown').length, 2, 'each worker drained');
});

test('--workers 2 on a port in use: the cluster gives up with exit code 2', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => blocker.close());
  const address = blocker.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const proc = start(['--workers', '2', '--config', configFile(port)]);
  t.after(() => proc.child.kill('SIGKILL'));
  assert.equal(await exited(proc.child), 2);
  assert.match(proc.err(), /cannot listen/);
});

test('--workers 0 is refused with a message naming the flag', async () => {
  const proc = start(['--workers', '0']);
  assert.equal(await exited(proc.child), 2);
  assert.match(proc.err(), /--workers must be a whole number 1–64 or "auto"/);
});

/** Every JSON log line of a child so far. */
function logLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('M1 --workers 2: SIGHUP reloads the host list in every worker and keeps serving; one scrape of metrics.listen answers for both workers (promtool)', async (t) => {
  const backend = await echoBackend();
  t.after(() => backend.close());
  const path = join(dir, 'hup.json');
  const write = (hosts: { id: string; name: string; target: string }[]): void =>
    writeFileSync(
      path,
      JSON.stringify({
        listen: { host: '127.0.0.1', port: 0 },
        metrics: { listen: '127.0.0.1:0' },
        hosts,
      }),
    );
  write([{ id: 'echo', name: 'Echo', target: backend.target }]);
  const proc = start(['--workers', '2', '--config', path]);
  t.after(() => proc.child.kill('SIGKILL'));
  const port = (): string | undefined =>
    /running at http:\/\/127\.0\.0\.1:(\d+)\//.exec(proc.err())?.[1];
  const metricsPort = (): unknown =>
    logLines(proc.out()).find((l) => l.event === 'metrics.listening')?.port;
  await until('two workers and the metrics listener', () => {
    const running = proc.err().match(/running at/g) ?? [];
    return running.length >= 2 && metricsPort() !== undefined;
  });
  const url = `ws://127.0.0.1:${port()}/ws?host=echo`;
  const ws = new WebSocket(url, 'binary', { origin: `http://127.0.0.1:${port()}` });
  const got: Buffer[] = [];
  ws.on('message', (d: Buffer) => got.push(d));
  await new Promise((r) => ws.once('open', r));
  ws.send('before');
  await until('echo before', () => Buffer.concat(got).toString() === 'before');

  write([
    { id: 'echo', name: 'Echo', target: backend.target },
    { id: 'added', name: 'Added', target: backend.target },
  ]);
  proc.child.kill('SIGHUP');
  await until(
    'both workers reloaded',
    () => logLines(proc.out()).filter((l) => l.event === 'config.reload').length === 2,
  );
  for (const l of logLines(proc.out()).filter((x) => x.event === 'config.reload'))
    assert.deepEqual([l.added, l.changed, l.removed], [['added'], [], []]);
  ws.send(' after');
  await until(
    'the session outlived SIGHUP',
    () => Buffer.concat(got).toString() === 'before after',
  );
  for (let i = 0; i < 4; i++) {
    // Round-robin: both workers serve the new list.
    const list = (await (await fetch(`http://127.0.0.1:${port()}/api/hosts`)).json()) as {
      hosts: { id: string }[];
    };
    assert.deepEqual(
      list.hosts.map((h) => h.id),
      ['echo', 'added'],
    );
  }
  assert.equal(proc.child.exitCode, null, 'the primary is alive');
  assert.ok(!logLines(proc.out()).some((l) => l.event === 'cluster.worker-died'));

  const text = await (await fetch(`http://127.0.0.1:${metricsPort()}/metrics`)).text();
  assert.match(text, /^porthole_sessions_opened_total\{host="echo"\} 1$/m);
  assert.match(text, /^porthole_sessions\{host="echo"\} 1$/m, 'summed over both workers');
  assert.match(text, /^porthole_sessions\{host="added"\} 0$/m);
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
  ws.close();
  proc.child.kill('SIGTERM');
  assert.equal(await exited(proc.child), 0);
});
