/**
 * `proxyProtocol: v1 | v2` (issue 15, SECURITY.md K4): the backend learns the browser's
 * address as Porthole determined it, before any other byte. Checked with a backend that
 * parses both versions, through nginx (X-Forwarded-For from a trusted proxy), against
 * Debian's HAProxy (`accept-proxy`), and before a TLS handshake.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { proxyHeader } from '../server/targets/proxy-header.ts';
import { startBackend } from './helpers/backends.ts';
import { startNginx } from './helpers/nginx.ts';
import { collect, openSession, waitFor, withProxy } from './helpers/proxy.ts';
import { startProxyProtocolBackend } from './helpers/proxy-protocol-backend.ts';
import { freePort, requireBinary, stop, untilListening } from './helpers/telnet-servers.ts';

test('K4: header bytes for both versions and families (haproxy proxy-protocol.txt)', () => {
  const v4 = { address: '192.0.2.7', port: 51000 };
  const backend = { address: '10.0.0.1', port: 4000 };
  assert.equal(
    proxyHeader('v1', v4, backend).toString('latin1'),
    'PROXY TCP4 192.0.2.7 10.0.0.1 51000 4000\r\n',
  );
  assert.equal(
    proxyHeader('v1', { address: '::ffff:192.0.2.7', port: 1 }, backend).toString('latin1'),
    'PROXY TCP4 192.0.2.7 10.0.0.1 1 4000\r\n',
    'an IPv4-mapped browser address is IPv4',
  );
  assert.equal(
    proxyHeader('v1', { address: '2001:db8::7', port: 2 }, backend).toString('latin1'),
    'PROXY TCP6 2001:db8::7 ::ffff:a00:1 2 4000\r\n',
    'both addresses in the source family',
  );
  assert.equal(
    proxyHeader('v1', v4, { address: '2001:db8::1', port: 4000 }).toString('latin1'),
    'PROXY TCP4 192.0.2.7 0.0.0.0 51000 4000\r\n',
  );
  assert.equal(
    proxyHeader('v1', { address: 'unknown', port: 0 }, backend).toString(),
    'PROXY UNKNOWN\r\n',
  );
  assert.equal(
    proxyHeader('v2', v4, backend).toString('hex'),
    `0d0a0d0a000d0a515549540a 21 11 000c c0000207 0a000001 c738 0fa0`.replaceAll(' ', ''),
  );
  assert.equal(
    proxyHeader(
      'v2',
      { address: '2001:db8::7', port: 2 },
      { address: '2001:db8::1', port: 23 },
    ).toString('hex'),
    `0d0a0d0a000d0a515549540a 21 21 0024 20010db8000000000000000000000007 20010db8000000000000000000000001 0002 0017`.replaceAll(
      ' ',
      '',
    ),
  );
  assert.equal(
    proxyHeader('v2', { address: '', port: 0 }, backend).toString('hex'),
    '0d0a0d0a000d0a515549540a20000000',
  );
});

for (const version of ['v1', 'v2'] as const) {
  test(`K4: proxyProtocol ${version}: the backend sees the browser's address first, then the session`, async (t) => {
    const proxy = await withProxy(t, {
      backend: startProxyProtocolBackend(),
      hosts: [{ id: 'h', name: 'H', proxyProtocol: version }],
    });
    const { backend } = proxy;
    const ws = await openSession(proxy, 'h', { localAddress: '127.0.0.3' });
    const got = collect(ws);
    ws.send(Buffer.from('after the header'));
    await waitFor(() => got.bytes().toString() === 'after the header', 'the echo');
    assert.deepEqual(backend.errors, []);
    const record = backend.records[0];
    assert.equal(record?.version, version === 'v1' ? 1 : 2);
    assert.equal(record?.family, 'TCP4');
    assert.equal(record?.source, '127.0.0.3', "the browser's address, not Porthole's");
    assert.ok((record?.sourcePort ?? 0) > 0, 'the browser port, seen directly');
    assert.equal(record?.destination, '127.0.0.1');
    assert.equal(record?.destinationPort, backend.port);
    ws.close();
  });
}

test('K4: through nginx, the address from X-Forwarded-For (trusted proxy) reaches the backend', async (t) => {
  const proxy = await withProxy(t, {
    backend: startProxyProtocolBackend(),
    hosts: [{ id: 'h', name: 'H', proxyProtocol: 'v2' }],
    trustedProxies: ['127.0.0.1'],
  });
  const { backend } = proxy;
  const nginx = await startNginx(proxy.port);
  t.after(() => nginx.close());
  const ws = new WebSocket(`ws://127.0.0.1:${nginx.port}/ws?host=h`, 'porthole.v1', {
    origin: `http://127.0.0.1:${nginx.port}`,
    localAddress: '127.0.0.5',
  });
  const got = collect(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(Buffer.from('via nginx'));
  await waitFor(() => got.bytes().toString() === 'via nginx', 'the echo through nginx');
  const record = backend.records[0];
  assert.equal(record?.source, '127.0.0.5', "the browser's address, not nginx's 127.0.0.1");
  assert.equal(record?.sourcePort, 0, 'the browser port is unknown behind a proxy');
  ws.close();
});

test('K4: an X-Forwarded-For from an untrusted peer is not what the backend is told', async (t) => {
  const proxy = await withProxy(t, {
    backend: startProxyProtocolBackend(),
    hosts: [{ id: 'h', name: 'H', proxyProtocol: 'v1' }],
  });
  const { backend } = proxy;
  const ws = await openSession(proxy, 'h', {
    localAddress: '127.0.0.6',
    headers: { 'X-Forwarded-For': '203.0.113.66' },
  });
  await waitFor(() => backend.records.length === 1, 'the header');
  assert.equal(backend.records[0]?.source, '127.0.0.6');
  ws.close();
});

test("K4: Debian's HAProxy (accept-proxy) reads Porthole's v1 and v2 headers", async (t) => {
  requireBinary('/usr/sbin/haproxy', 'haproxy');
  const recorder = await startProxyProtocolBackend();
  t.after(() => recorder.close());
  const dir = mkdtempSync(join(tmpdir(), 'porthole-haproxy-'));
  const port = await freePort();
  // HAProxy takes the client address from our header and announces it again (send-proxy).
  writeFileSync(
    join(dir, 'haproxy.cfg'),
    `defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 127.0.0.1:${port} accept-proxy
  default_backend be
backend be
  server recorder 127.0.0.1:${recorder.port} send-proxy
`,
  );
  const haproxy = spawn('/usr/sbin/haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], {
    stdio: 'ignore',
  });
  t.after(() => stop(haproxy));
  await untilListening(port, haproxy);
  const proxy = await withProxy(t, {
    hosts: [
      { id: 'v1', name: 'V1', target: `tcp://127.0.0.1:${port}`, proxyProtocol: 'v1' },
      { id: 'v2', name: 'V2', target: `tcp://127.0.0.1:${port}`, proxyProtocol: 'v2' },
    ],
  });
  for (const [id, from] of [
    ['v1', '127.0.0.7'],
    ['v2', '127.0.0.8'],
  ] as const) {
    const ws = await openSession(proxy, id, { localAddress: from });
    const got = collect(ws);
    ws.send(Buffer.from(`through haproxy ${id}`));
    await waitFor(() => got.bytes().toString() === `through haproxy ${id}`, `the echo (${id})`);
    assert.ok(
      recorder.records.some((r) => r.source === from),
      `HAProxy passed on ${from}: ${JSON.stringify(recorder.records)}`,
    );
    ws.close();
  }
});

test('K4: with TLS, the PROXY header comes first and then the ClientHello', async (t) => {
  const proxy = await withProxy(t, {
    backend: startBackend(),
    hosts: [
      { id: 'h', name: 'H', scheme: 'telnets', tls: { insecure: true }, proxyProtocol: 'v1' },
    ],
    limits: { connectTimeout: 1000 },
  });
  const { backend } = proxy;
  const ws = await openSession(proxy, 'h', { localAddress: '127.0.0.9' });
  const got = collect(ws);
  assert.equal((await got.closed).code, 1014, 'the silent backend never finishes the handshake');
  const bytes = Buffer.concat(backend.received[0] ?? []);
  const eol = bytes.indexOf('\r\n');
  assert.match(
    bytes.subarray(0, eol).toString('latin1'),
    /^PROXY TCP4 127\.0\.0\.9 127\.0\.0\.1 \d+ \d+$/,
  );
  assert.equal(bytes[eol + 2], 0x16, 'a TLS handshake record follows the header');
});
