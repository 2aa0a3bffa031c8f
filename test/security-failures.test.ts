/**
 * SECURITY.md section G: failure modes. G1, G2 and G4–G8 are in close-paths.test.ts; here
 * are DNS failure (G3), heartbeats through an idle-cutting relay (G4), client FIN without a
 * close frame (G9), SIGTERM drain of the real process and an upgrade admitted after the drain
 * began (G10), a frozen backend (G11), certificate rotation (G12) and exception isolation (G13).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import type { Codec } from '../server/codec/codec.ts';
import { PACKAGE_ROOT } from '../server/paths.ts';
import { createCodecFor } from '../server/session/codec-factory.ts';
import type { Lookup } from '../server/targets/dial.ts';
import { echoBackend, startBackend } from './helpers/backends.ts';
import {
  collect,
  openSession,
  upgradeStatus,
  waitFor,
  withBackend,
  withProxy,
} from './helpers/proxy.ts';
import { rawSession } from './helpers/raw-ws.ts';
import { echoOnce, openCanary, released, sleep } from './helpers/security.ts';
import { makeCert } from './helpers/tls-cert.ts';

const run = promisify(execFile);

test('G3: DNS that never answers or fails ends the session with 1014 within dnsTimeout', async (t) => {
  const asked: string[] = [];
  const lookup: Lookup = (host) => {
    asked.push(host);
    if (host === 'slow.backend.test') return new Promise(() => {});
    const err = Object.assign(new Error(`queryA ESERVFAIL ${host}`), { code: 'ESERVFAIL' });
    return Promise.reject(err);
  };
  const proxy = await withProxy(
    t,
    {
      hosts: [
        { id: 'slow', name: 'Slow DNS', target: 'tcp://slow.backend.test:4000' },
        { id: 'fail', name: 'Failing DNS', target: 'tcp://fail.backend.test:4000' },
        { id: 'echo', name: 'Echo' },
      ],
      limits: { dnsTimeout: '600ms' },
    },
    { lookup },
  );
  const canary = await openCanary(proxy, 'echo');
  const results = await Promise.all(
    ['slow', 'fail', 'slow', 'fail'].map(async (id) => {
      const got = collect(await openSession(proxy, id));
      const started = Date.now();
      const closed = await got.closed;
      return { id, ...closed, ms: Date.now() - started };
    }),
  );
  for (const r of results) {
    assert.equal(r.code, 1014, r.id);
    assert.equal(r.reason, 'backend unavailable', 'the same generic reason for both');
    assert.ok(!r.reason.includes('backend.test'));
  }
  const slow = results.filter((r) => r.id === 'slow').map((r) => r.ms);
  assert.ok(
    slow.every((ms) => ms >= 400 && ms < 3000),
    `slow DNS closed after ${slow} ms (dnsTimeout 600 ms)`,
  );
  const details = proxy.logs.filter((l) => l.msg === 'backend unavailable');
  assert.equal(details.length, 4);
  assert.ok(details.every((l) => l.backend === 'dns'));
  assert.ok(details.some((l) => /timed out/.test(String(l.detail))));
  assert.ok(details.some((l) => /ESERVFAIL/.test(String(l.detail))));
  assert.equal(asked.length, 4, 'one lookup per session');
  await canary.roundTrip();
  canary.close();
  await released(proxy);
});

/** A TCP relay that cuts both sides after `idleMs` without a byte either way (nginx's proxy_read_timeout). */
async function idleCuttingRelay(targetPort: number, idleMs: number) {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = netConnect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      open.add(s);
      s.once('close', () => open.delete(s));
    }
    let timer: NodeJS.Timeout | undefined;
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    const touch = (): void => {
      clearTimeout(timer);
      timer = setTimeout(cut, idleMs);
    };
    touch();
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      from.on('data', (d: Buffer) => {
        touch();
        to.write(d);
      });
      from.on('error', cut);
      from.on('close', () => {
        clearTimeout(timer);
        cut();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}

test('G4: a silent backend behind an idle-cutting intermediary: pings keep the session until the idle timeout', async (t) => {
  const silent = await startBackend();
  const hosts = [
    { id: 'silent', name: 'Silent' },
    { id: 'idle', name: 'Silent with idle timeout', idleTimeout: '3s' },
  ];
  const proxy = await withProxy(t, {
    backend: silent,
    hosts,
    limits: { heartbeatInterval: 250, heartbeatTimeout: 2000 },
  });
  // The same, without heartbeats: shows the relay really cuts silent connections.
  const bare = await withProxy(t, { backend: silent, hosts, limits: { heartbeatInterval: 0 } });
  // Heartbeats are checked on the registry's 1 s tick, so a 250 ms interval pings about once a second.
  const relay = await idleCuttingRelay(proxy.port, 2000);
  const bareRelay = await idleCuttingRelay(bare.port, 2000);
  t.after(async () => {
    await relay.close();
    await bareRelay.close();
  });
  const via = (port: number, host: string): WebSocket =>
    new WebSocket(`ws://127.0.0.1:${port}/ws?host=${host}`, 'porthole.v1', {
      origin: `http://127.0.0.1:${port}`,
    });
  const kept = via(relay.port, 'silent');
  const idle = via(relay.port, 'idle');
  const cut = via(bareRelay.port, 'silent');
  let pings = 0;
  kept.on('ping', () => pings++);
  const closedOf = (ws: WebSocket) =>
    new Promise<{ code: number; at: number }>((resolve) =>
      ws.once('close', (code) => resolve({ code, at: Date.now() })),
    );
  const idleClosed = closedOf(idle);
  const cutClosed = closedOf(cut);
  await Promise.all([kept, idle, cut].map((ws) => new Promise((r) => ws.once('open', r))));
  const opened = Date.now();
  await sleep(4000);
  assert.equal(kept.readyState, WebSocket.OPEN, 'the pinged session outlived the relay idle timer');
  assert.ok(pings >= 2, `${pings} pings`);
  const i = await idleClosed;
  assert.equal(i.code, 4001, 'closed only by the configured idle timeout');
  assert.ok(i.at - opened >= 2500, 'not before the idle timeout');
  const c = await cutClosed;
  assert.equal(c.code, 1006, 'without heartbeats the intermediary cuts the silent session');
  kept.close();
  await released(proxy);
  await released(bare);
});

/** TCP connections in CLOSE-WAIT on a port (a half-open leak), per `ss`. */
async function closeWait(port: number): Promise<number> {
  const { stdout } = await run('ss', ['-tanH', 'state', 'close-wait']);
  return stdout.split('\n').filter((l) => l.includes(`:${port} `) || l.endsWith(`:${port}`)).length;
}

test('G9: a client FIN without a close frame closes the backend; nothing is left half-open', async (t) => {
  const events: string[][] = [];
  const proxy = await withProxy(t, {
    backend: startBackend((s) => {
      const log: string[] = [];
      events.push(log);
      s.on('end', () => log.push('end'));
      s.on('close', () => log.push('close'));
    }),
    hosts: [{ id: 'b', name: 'B' }],
  });
  const { backend } = proxy;
  const ws = await openSession(proxy, 'b', { protocol: 'binary' });
  await waitFor(() => backend.sockets.length === 1, 'backend connection');
  const client = (ws as unknown as { _socket: Socket })._socket;
  const clientClosed = new Promise<void>((r) => client.once('close', () => r()));
  client.end();
  await waitFor(() => events[0]?.includes('close') === true, 'backend socket closed', 5000);
  assert.deepEqual(events[0], ['end', 'close'], 'an orderly FIN reached the backend');
  await clientClosed;
  await released(proxy);
  // Right after the handshake, before the backend is even connected.
  const early = await rawSession(proxy.port, { path: '/ws?host=b' });
  early.socket.end();
  await early.reader.ended;
  await waitFor(
    () => events.length === 2 && events[1]?.includes('close') === true,
    'second backend closed',
  );
  await released(proxy);
  assert.equal(await closeWait(proxy.port), 0, 'no CLOSE-WAIT on the proxy port');
  assert.equal(await closeWait(backend.port), 0, 'no CLOSE-WAIT on the backend port');
});

test('G10: SIGTERM: every session gets 1001, new upgrades are refused, the process exits promptly', async (t) => {
  const echo = await withBackend(t, echoBackend());
  const dir = mkdtempSync(join(tmpdir(), 'porthole-g10-'));
  const configPath = join(dir, 'porthole.yaml');
  writeFileSync(
    configPath,
    [
      'listen: { host: 127.0.0.1, port: 0 }',
      'log: { level: info }',
      'limits: { maxSessionsPerIp: 500, upgradeBurst: 500, upgradesPerIpPerMinute: 1000, drainGrace: 1s }',
      'hosts:',
      `  - { id: echo, name: Echo, target: "tcp://127.0.0.1:${echo.port}" }`,
    ].join('\n'),
  );
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'server/main.ts', '--config', configPath],
    {
      cwd: PACKAGE_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /Porthole is running at http:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: Date.now() })),
  );
  const origin = `http://127.0.0.1:${port}`;
  const sessions = await Promise.all(
    Array.from({ length: 100 }, async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?host=echo`, 'binary', { origin });
      const closed = new Promise<{ code: number; at: number }>((resolve) =>
        ws.once('close', (code) => resolve({ code, at: Date.now() })),
      );
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      return { ws, closed };
    }),
  );
  await Promise.all(sessions.slice(0, 5).map((s) => echoOnce(s.ws)));
  // Ten clients ignore the close: their sockets stop reading.
  const deaf = sessions.slice(90);
  for (const s of deaf) (s.ws as unknown as { _socket: Socket })._socket.pause();
  const signalled = Date.now();
  child.kill('SIGTERM');
  // The drain begins when the process logs it (on a loaded machine that can take a while).
  for (let waited = 0; !stdout.includes('"event":"shutdown"') && waited < 10_000; waited += 20)
    await sleep(20);
  const late = await new Promise<string>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?host=echo`, 'binary', { origin });
    ws.once('open', () => resolve('101'));
    ws.once('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
    ws.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
  assert.ok(['503', 'ECONNREFUSED', 'ECONNRESET'].includes(late), `a new upgrade got ${late}`);
  const listening = sessions.slice(0, 90);
  const closes = await Promise.all(listening.map((s) => s.closed));
  assert.deepEqual(new Set(closes.map((c) => c.code)), new Set([1001]));
  const slowest = Math.max(...closes.map((c) => c.at - signalled));
  assert.ok(slowest < 5000, `the last 1001 arrived after ${slowest} ms`);
  const { code, at } = await exited;
  assert.equal(code, 0);
  assert.ok(at - signalled < 15_000, `exited ${at - signalled} ms after SIGTERM`);
  for (const s of deaf) s.ws.terminate();
  assert.match(stdout, /"event":"shutdown"/);
});

test('G11: a frozen backend (SIGSTOP) is kept like a silent one, until the idle timeout', async (t) => {
  const child = spawn(process.execPath, [
    '-e',
    "require('net').createServer((s) => s.pipe(s)).listen(0, '127.0.0.1', function () { console.log(this.address().port) })",
  ]);
  t.after(() => {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  });
  const port = Number(
    await new Promise<string>((resolve) =>
      child.stdout.once('data', (d: Buffer) => resolve(d.toString())),
    ),
  );
  const proxy = await withProxy(t, {
    hosts: [{ id: 'frozen', name: 'Frozen', target: `tcp://127.0.0.1:${port}`, idleTimeout: '2s' }],
    limits: { heartbeatInterval: 250, heartbeatTimeout: 2000 },
  });
  const ws = await openSession(proxy, 'frozen', { protocol: 'binary' });
  await echoOnce(ws);
  child.kill('SIGSTOP');
  const stoppedAt = Date.now();
  const got = collect(ws);
  ws.send(Buffer.from('into the void'));
  await sleep(1000);
  assert.equal(ws.readyState, WebSocket.OPEN, 'kept while the backend is frozen');
  const { code } = await got.closed;
  assert.equal(code, 4001);
  assert.ok(Date.now() - stoppedAt >= 1800, 'not before the idle timeout');
  await released(proxy);
});

function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

test('G12: certificate rotation: new handshakes get the new certificate, sessions keep running, a bad one is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-g12-'));
  const first = makeCert(dir, 'first');
  const live = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') };
  writeFileSync(live.cert, readFileSync(first.cert));
  writeFileSync(live.key, readFileSync(first.key));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const proxy = await withProxy(t, { tls: live });
  assert.ok(proxy.url.startsWith('wss://'));
  assert.equal(await servedFingerprint(proxy.port), first.fingerprint);
  const hsts = await new Promise<string | undefined>((resolve, reject) => {
    httpsGet(
      { host: '127.0.0.1', port: proxy.port, path: '/', rejectUnauthorized: false },
      (res) => {
        res.resume();
        resolve(res.headers['strict-transport-security']);
      },
    ).once('error', reject);
  });
  assert.match(String(hsts), /max-age=\d{7,}/, 'E9: HSTS over TLS');
  const ws = await openSession(proxy, 'echo', { protocol: 'binary' });
  await echoOnce(ws);
  // Rotate: replace the files, then reload (what SIGHUP or the file watcher does).
  const second = makeCert(dir, 'second');
  writeFileSync(live.key, readFileSync(second.key));
  writeFileSync(live.cert, readFileSync(second.cert));
  assert.equal(proxy.porthole.reloadTls(), true);
  assert.equal(await servedFingerprint(proxy.port), second.fingerprint);
  await echoOnce(ws);
  assert.equal(ws.readyState, WebSocket.OPEN, 'the session survived the rotation');
  const fresh = await openSession(proxy, 'echo', { protocol: 'binary' });
  await echoOnce(fresh);
  // A bad certificate, then a certificate that does not match the key: both keep the old one.
  const errorsBefore = proxy.logs.filter((l) => l.event === 'tls.reload-failed').length;
  writeFileSync(
    live.cert,
    '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n',
  );
  assert.equal(proxy.porthole.reloadTls(), false);
  writeFileSync(live.cert, readFileSync(first.cert));
  assert.equal(
    proxy.porthole.reloadTls(),
    false,
    'the first certificate does not match the second key',
  );
  assert.equal(await servedFingerprint(proxy.port), second.fingerprint, 'the old one is kept');
  const failures = proxy.logs.filter((l) => l.event === 'tls.reload-failed');
  assert.ok(failures.length >= errorsBefore + 2);
  assert.ok(failures.every((l) => l.level === 'error'));
  await echoOnce(ws);
  ws.close();
  fresh.close();
  await released(proxy);
});

test('G13: a codec that throws ends only its own session with 1011; the canary is unaffected', async (t) => {
  const talker = await withBackend(
    t,
    startBackend((s) => s.write('hello from the host\r\n')),
  );
  const throwing = (where: 'fromBackend' | 'fromClient' | 'start'): Codec => ({
    start: () => {
      if (where === 'start') throw new Error('boom in start');
      return [];
    },
    fromBackend: (chunk) => {
      if (where === 'fromBackend') throw new Error('boom in fromBackend');
      return [{ kind: 'data', bytes: chunk }];
    },
    fromClient: (bytes) => {
      if (where === 'fromClient') throw new Error('boom in fromClient');
      return bytes;
    },
    resize: () => [],
    gmcp: () => [],
  });
  const proxy = await withProxy(
    t,
    {
      hosts: [
        { id: 'backend', name: 'Throws on backend data', target: talker.target },
        { id: 'client', name: 'Throws on client data' },
        { id: 'start', name: 'Throws at start' },
        { id: 'factory', name: 'Factory throws' },
        { id: 'echo', name: 'Echo' },
      ],
    },
    {
      createCodec: (entry, options) => {
        switch (entry.config.id) {
          case 'backend':
            return throwing('fromBackend');
          case 'client':
            return throwing('fromClient');
          case 'start':
            return throwing('start');
          case 'factory':
            throw new Error('boom in createCodec');
          default:
            return createCodecFor(entry, options);
        }
      },
    },
  );
  const canary = await openCanary(proxy, 'echo', { protocol: 'porthole.v1' });
  for (const id of ['backend', 'client', 'start', 'factory']) {
    const ws = await openSession(proxy, id);
    const got = collect(ws);
    if (id === 'client') {
      await waitFor(() => got.control.some((m) => m.state === 'connected'), 'connected');
      ws.send(Buffer.from('x'));
    }
    const { code, reason } = await got.closed;
    assert.equal(code, 1011, id);
    assert.equal(reason, 'internal error', `${id}: no detail or stack in the reason`);
    await canary.roundTrip();
  }
  const threw = proxy.logs.filter((l) => l.msg === 'session handler threw');
  assert.equal(threw.length, 4, 'one error line per failure');
  assert.ok(threw.every((l) => l.level === 'error'));
  canary.close();
  await released(proxy);
});

test('G10: an upgrade whose authentication finishes after the drain began is refused', async (t) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const proxy = await withProxy(
    t,
    {},
    {
      authenticate: async () => {
        await gate;
        return { user: 'slow', groups: [] };
      },
    },
  );
  const pending = upgradeStatus(proxy, '/ws?host=echo');
  await new Promise((r) => setTimeout(r, 100));
  const closing = proxy.close();
  release();
  assert.equal(await pending, 503);
  await closing;
  assert.equal(proxy.backend.sockets.length, 0, 'nothing was dialled');
});
