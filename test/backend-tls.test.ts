/**
 * TLS to backends (issue 15, SECURITY.md K1–K3): `telnets://` to BusyBox telnetd behind
 * Debian's socat OPENSSL-LISTEN and `tls://` to socat's echo, with certificates made by
 * openssl. Verified connections work; an untrusted CA, a wrong name or a pin mismatch end
 * with 1014 and a log line saying why; no session byte ever goes out in clear.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type ConfigInput, resolveConfig } from '../server/config/config.ts';
import { startBackend } from './helpers/backends.ts';
import {
  collect,
  openSession,
  type TestProxy,
  upgradeStatus,
  waitFor,
  withProxy,
} from './helpers/proxy.ts';
import { startBusyboxTelnetd } from './helpers/telnet-servers.ts';
import { startSocatTls, type TlsBackend } from './helpers/tls-backend.ts';
import { makeCert } from './helpers/tls-cert.ts';

const dir = mkdtempSync(join(tmpdir(), 'porthole-backend-tls-'));
const server = makeCert(dir, 'backend');
const stranger = makeCert(dir, 'stranger');

type HostInput = ConfigInput['hosts'][number];

async function proxyFor(
  t: test.TestContext,
  host: Omit<HostInput, 'id' | 'name'>,
): Promise<TestProxy> {
  const proxy = await withProxy(t, {
    hosts: [{ id: 'h', name: 'H', ...host }],
    limits: { connectTimeout: 3000 },
  });
  return proxy;
}

async function echoOverTls(t: test.TestContext): Promise<TlsBackend> {
  const backend = await startSocatTls(server, 'EXEC:cat');
  t.after(() => backend.close());
  return backend;
}

/** Opens a session and expects it to end with 1014; returns the 'backend unavailable' log line. */
async function refused(proxy: TestProxy): Promise<Record<string, unknown>> {
  const ws = await openSession(proxy, 'h');
  const got = collect(ws);
  ws.send(Buffer.from('secret typed early\r\n'));
  const closed = await got.closed;
  assert.equal(closed.code, 1014);
  assert.equal(closed.reason, 'backend unavailable', 'the browser learns no detail');
  const line = proxy.logs.find((l) => l.msg === 'backend unavailable');
  assert.ok(line !== undefined, 'one log line for the refusal');
  assert.equal(line.backend, 'tls');
  return line;
}

test('K1: telnets:// to BusyBox telnetd behind socat, verified against the host ca file', async (t) => {
  const telnetd = await startBusyboxTelnetd();
  t.after(() => telnetd.close());
  const tls = await startSocatTls(server, `TCP:127.0.0.1:${telnetd.port}`);
  t.after(() => tls.close());
  const proxy = await proxyFor(t, {
    target: `telnets://127.0.0.1:${tls.port}`,
    tls: { ca: server.cert },
  });
  const ws = await openSession(proxy, 'h');
  const got = collect(ws);
  await waitFor(() => /[#$] $/.test(got.bytes().toString('utf8')), 'a shell prompt', 10_000);
  ws.send(Buffer.from('echo tls-$((6*7))\r'));
  await waitFor(() => got.bytes().toString('utf8').includes('tls-42'), 'the command output');
  assert.ok(
    got.control.some((m) => m.type === 'echo'),
    'telnet negotiation ran inside TLS',
  );
  ws.close();
});

test('K1: tls:// raw bytes to socat echo, pinned and verified', async (t) => {
  const backend = await echoOverTls(t);
  const proxy = await proxyFor(t, {
    target: `tls://127.0.0.1:${backend.port}`,
    tls: { ca: server.cert, fingerprint256: server.fingerprint.toLowerCase() },
  });
  const ws = await openSession(proxy, 'h');
  const got = collect(ws);
  ws.send(Buffer.from('over tls'));
  await waitFor(() => got.bytes().toString() === 'over tls', 'the echo');
  ws.close();
});

test('K2: a certificate from another CA is refused with 1014 and the reason in the log', async (t) => {
  const backend = await echoOverTls(t);
  const proxy = await proxyFor(t, {
    target: `tls://127.0.0.1:${backend.port}`,
    tls: { ca: stranger.cert },
  });
  const line = await refused(proxy);
  assert.match(String(line.detail), /not trusted by the host's ca file/);
});

test('K2: without a ca file the system CAs decide: a self-signed certificate is refused', async (t) => {
  const backend = await echoOverTls(t);
  const proxy = await proxyFor(t, { target: `telnets://127.0.0.1:${backend.port}` });
  const line = await refused(proxy);
  assert.match(String(line.detail), /not trusted by the system CAs/);
});

test('K2: a certificate for another name is refused (servername checked)', async (t) => {
  const backend = await echoOverTls(t);
  const proxy = await proxyFor(t, {
    target: `tls://127.0.0.1:${backend.port}`,
    tls: { ca: server.cert, servername: 'mud.example.org' },
  });
  const line = await refused(proxy);
  assert.match(String(line.detail), /not for this name/);
});

test('K3: a pin mismatch is refused even when the CA verifies', async (t) => {
  const backend = await echoOverTls(t);
  const proxy = await proxyFor(t, {
    target: `tls://127.0.0.1:${backend.port}`,
    tls: { ca: server.cert, fingerprint256: stranger.fingerprint },
  });
  const line = await refused(proxy);
  assert.match(String(line.detail), /fingerprint256 .* is not the pinned/);
  assert.ok(String(line.detail).includes(server.fingerprint), 'the log names the certificate seen');
});

test('K3: insecure: true is logged at start; its pin is still enforced', async (t) => {
  const backend = await echoOverTls(t);
  const pinned = await proxyFor(t, {
    target: `tls://127.0.0.1:${backend.port}`,
    tls: { insecure: true, fingerprint256: server.fingerprint },
  });
  const warning = pinned.logs.find((l) => l.event === 'backend.insecure');
  assert.match(String(warning?.msg), /host h: insecure: true.*not verified.*pinned/);
  const ws = await openSession(pinned, 'h');
  const got = collect(ws);
  ws.send(Buffer.from('unverified'));
  await waitFor(() => got.bytes().toString() === 'unverified', 'the echo');
  ws.close();
  const wrongPin = await proxyFor(t, {
    target: `tls://127.0.0.1:${backend.port}`,
    tls: { insecure: true, fingerprint256: stranger.fingerprint },
  });
  await refused(wrongPin);
});

test('K1: nothing is sent in clear: a backend that never finishes the handshake gets only a ClientHello', async (t) => {
  const silent = await startBackend();
  const plain = await startBackend((s) => s.write('Welcome to a plain-text MUD!\r\n'));
  t.after(() => Promise.all([silent.close(), plain.close()]));
  for (const backend of [silent, plain]) {
    const proxy = await withProxy(t, {
      hosts: [
        {
          id: 'h',
          name: 'H',
          target: `telnets://127.0.0.1:${backend.port}`,
          tls: { insecure: true },
        },
      ],
      limits: { connectTimeout: 1000 },
    });
    await refused(proxy);
    const bytes = Buffer.concat(backend.received[0] ?? []);
    assert.equal(bytes[0], 0x16, 'the first byte starts a TLS handshake record');
    assert.ok(!bytes.toString('latin1').includes('secret'), 'no typed byte reached the backend');
  }
});

test('H2: a binary (websockify) client to a telnets:// host is refused like telnet://', async (t) => {
  const backend = await echoOverTls(t);
  const proxy = await proxyFor(t, {
    target: `telnets://127.0.0.1:${backend.port}`,
    tls: { ca: server.cert },
  });
  assert.equal(await upgradeStatus(proxy, '/ws?host=h', { protocol: 'binary' }), 403);
  assert.equal(await upgradeStatus(proxy, '/ws?host=h'), 101);
});

test('K3: a host that becomes insecure in a reload is logged then too', async (t) => {
  const backend = await echoOverTls(t);
  const target = `tls://127.0.0.1:${backend.port}`;
  const proxy = await proxyFor(t, { target, tls: { ca: server.cert } });
  assert.equal(proxy.logs.filter((l) => l.event === 'backend.insecure').length, 0);
  const next = resolveConfig({
    hosts: [
      { id: 'h', name: 'H', target, tls: { ca: server.cert } },
      { id: 'lax', name: 'Lax', target, tls: { insecure: true } },
    ],
  });
  await proxy.porthole.reloadHosts(next.hosts);
  const lines = proxy.logs.filter((l) => l.event === 'backend.insecure');
  assert.equal(lines.length, 1, 'only the host that entered the list');
  assert.match(String(lines[0]?.msg), /host lax: insecure: true/);
});
