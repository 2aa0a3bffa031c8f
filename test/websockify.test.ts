/**
 * websockify drop-in: the command line, token files with `?token=` in the forms noVNC
 * builds (`/websockify?token=X`, `/?token=X`), the `/websockify` path, clients without an
 * Origin, and what stays refused (a foreign Origin, an unknown token).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { resolveConfig } from '../server/config/config.ts';
import { parseTokenLine } from '../server/targets/token-file.ts';
import { echoBackend } from './helpers/backends.ts';
import { openSession, waitFor, withBackend, withProxy } from './helpers/proxy.ts';
import { makeCert } from './helpers/tls-cert.ts';

const MAIN = ['--import', 'tsx', 'server/main.ts'];

/** A websockify-style client: no subprotocol, and an Origin only when given. */
function bridge(url: string, origin?: string): Promise<WebSocket> {
  const ws = new WebSocket(url, origin === undefined ? {} : { origin });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

async function echoes(ws: WebSocket, text: string): Promise<void> {
  const got: Buffer[] = [];
  ws.on('message', (d: Buffer) => got.push(d));
  ws.send(Buffer.from(text));
  await waitFor(() => Buffer.concat(got).toString() === text, `echo of ${text}`);
  ws.close();
}

test('token lines split as websockify splits them', () => {
  assert.deepEqual(parseTokenLine('vnc1: 127.0.0.1:5901'), [
    'vnc1',
    { host: '127.0.0.1', port: 5901 },
  ]);
  assert.deepEqual(parseTokenLine('a:b: [::1]:5900'), ['a:b', { host: '::1', port: 5900 }]);
  assert.deepEqual(parseTokenLine('x: host.example:1'), ['x', { host: 'host.example', port: 1 }]);
  assert.equal(parseTokenLine('x:127.0.0.1:5900'), undefined, 'no space after the token');
  assert.equal(parseTokenLine('x: 127.0.0.1'), undefined, 'no port');
  assert.equal(parseTokenLine('x: h:70000'), undefined, 'port out of range');
});

test('M5 token file: ?token= on /websockify and on / (noVNC path=?token=X), edits apply to the next connection', async (t) => {
  const one = await withBackend(t, echoBackend());
  const two = await withBackend(t, echoBackend());
  const dir = mkdtempSync(join(tmpdir(), 'porthole-tokens-'));
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(
    join(dir, 'tokens', 'a.cfg'),
    `# comment\nalpha: 127.0.0.1:${one.port}\nnot a line\n`,
  );
  writeFileSync(join(dir, 'tokens', 'b.cfg'), `beta: 127.0.0.1:${two.port}\n`);
  const proxy = await withProxy(t, {
    hosts: [],
    allowMissingOrigin: true,
    websockify: { tokenSource: join(dir, 'tokens') },
  });
  await echoes(await bridge(`${proxy.url}/websockify?token=alpha`), 'to alpha');
  await waitFor(() => one.sockets.length === 1, 'alpha dialled');
  await echoes(await bridge(`${proxy.url}/?token=beta`), 'to beta');
  await waitFor(() => two.sockets.length === 1, 'beta dialled');
  // The browser's noVNC sends its page's Origin: same origin passes.
  await echoes(await bridge(`${proxy.url}/websockify?token=beta`, proxy.origin), 'same origin');
  await assert.rejects(bridge(`${proxy.url}/websockify?token=gamma`), /HTTP 404/);
  const refusal = proxy.logs.find((l) => l.event === 'upgrade.refused' && l.status === 404);
  assert.match(String(refusal?.detail), /unknown token; bad lines .*a\.cfg:3/);
  await assert.rejects(
    bridge(`${proxy.url}/websockify?token=alpha`, 'https://evil.example'),
    /HTTP 403/,
    'a foreign page cannot use the bridge',
  );
  writeFileSync(join(dir, 'tokens', 'c.cfg'), `gamma: 127.0.0.1:${one.port}\n`);
  await echoes(await bridge(`${proxy.url}/websockify?token=gamma`), 'new token');
  assert.equal(one.sockets.length, 2);
  // An audit line names the address dialled.
  const open = proxy.logs.find((l) => l.event === 'session.open');
  assert.equal(open?.target, `127.0.0.1:${one.port}`);
});

test('without websockify mode a missing Origin is still refused and / is no WebSocket path', async (t) => {
  const proxy = await withProxy(t, { hosts: [{ id: 'e', name: 'E' }] });
  await assert.rejects(bridge(`${proxy.url}/websockify?host=e`), /HTTP 403/);
  await echoes(await bridge(`${proxy.url}/websockify?host=e`, proxy.origin), '/websockify alias');
  await assert.rejects(bridge(`${proxy.url}/?host=e`, proxy.origin), /HTTP 404/);
});

test('config: tokenSource and auth.mode token both read ?token=, so they are refused together', () => {
  assert.throws(
    () =>
      resolveConfig({
        hosts: [],
        auth: { mode: 'token', tokens: [{ name: 'a', token: 'a-long-secret-token-1234' }] },
        websockify: { tokenSource: '/tmp/tokens' },
      }),
    /websockify\.tokenSource: cannot be combined with auth\.mode token/,
  );
  assert.throws(
    () => resolveConfig({ hosts: [], websockify: { defaultHost: 'x' } }),
    /hosts: must list at least one host[\s\S]*websockify\.defaultHost: "x" is not the id/,
  );
});

test('CLI: `porthole PORT HOST:PORT` bridges a client without Origin; --version, -h', async (t) => {
  const backend = await echoBackend();
  t.after(() => backend.close());
  const child = spawn(process.execPath, [...MAIN, '0', `127.0.0.1:${backend.port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /running at http:\/\/(127\.0\.0\.1:\d+)\//.exec(err);
      if (m?.[1] !== undefined) resolve(`ws://${m[1]}`);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  await echoes(await bridge(`${url}/websockify`), 'plain websockify client');
  await echoes(await bridge(`${url}/`), 'any of the paths');

  const version = spawnSync(process.execPath, [...MAIN, '--version'], { encoding: 'utf8' });
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^porthole \d+\.\d+\.\d+\n$/);
  const help = spawnSync(process.execPath, [...MAIN, '-h'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--token-plugin TokenFile --token-source/);
  const bad = spawnSync(process.execPath, [...MAIN, '6080', 'nohostport'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /TARGET must be TARGET_HOST:TARGET_PORT, got "nohostport"/);
  const plugin = spawnSync(
    process.execPath,
    [...MAIN, '--token-plugin', 'TokenRedis', '--token-source', 'x', '6080'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(plugin.status, 2);
  assert.match(plugin.stderr, /only TokenFile is supported/);
  const open = spawnSync(process.execPath, [...MAIN, '0.0.0.0:0', '127.0.0.1:1'], {
    encoding: 'utf8',
  });
  assert.equal(open.status, 2, 'plain ws:// on every address needs --allow-plaintext or --cert');
  assert.match(open.stderr, /listen\.host: 0\.0\.0\.0 is not loopback/);
});

test('CLI: `porthole --cert F --key F PORT HOST:PORT` serves wss:// to a client without Origin', async (t) => {
  const backend = await withBackend(t, echoBackend());
  const dir = mkdtempSync(join(tmpdir(), 'porthole-wss-'));
  const cert = makeCert(dir, 'bridge');
  const child = spawn(
    process.execPath,
    [...MAIN, '--cert', cert.cert, '--key', cert.key, '0', `127.0.0.1:${backend.port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  t.after(() => child.kill('SIGKILL'));
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  await waitFor(() => /running at https:\/\/127\.0\.0\.1:\d+/.test(err), 'listening', 20_000);
  const port = /running at https:\/\/127\.0\.0\.1:(\d+)/.exec(err)?.[1];
  const ws = new WebSocket(`wss://127.0.0.1:${port}/websockify`, { rejectUnauthorized: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  await echoes(ws, 'over TLS');
});

test('the byte-rate budget slows porthole.v1 input only: a binary (VNC-style) upload is never throttled', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [{ id: 'e', name: 'E' }],
    limits: { maxBytesPerSecond: '64KiB' },
  });
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  const upload = async (protocol: string): Promise<void> => {
    const ws = await openSession(proxy, 'e', { protocol });
    let got = 0;
    ws.on('message', (d: Buffer, isBinary: boolean) => {
      if (isBinary) got += d.length;
    });
    for (let i = 0; i < 32; i++) ws.send(chunk);
    await waitFor(() => got === 32 * chunk.length, `${protocol} echo of 512 KiB`, 30_000);
    ws.close();
  };
  await upload('binary');
  assert.deepEqual(
    proxy.logs.filter((l) => l.event === 'session.throttled'),
    [],
    '512 KiB at a 64 KiB/s budget, and binary was not slowed',
  );
  await upload('porthole.v1');
  const throttled = proxy.logs.filter((l) => l.event === 'session.throttled');
  assert.deepEqual(
    throttled.map((l) => l.budget),
    ['bytes'],
    'the same upload as porthole.v1 is slowed to the budget',
  );
});
