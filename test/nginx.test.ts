/**
 * The shipped nginx snippet (deploy/nginx/porthole-location.conf), run for real in front of
 * Porthole: WebSocket upgrade passes, X-Forwarded-For is honoured from the trusted proxy,
 * and an idle session outlives nginx's read timeout thanks to Porthole's pings (G14).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { startNginx } from './helpers/nginx.ts';
import { collect, waitFor, withProxy } from './helpers/proxy.ts';

test('G14: the nginx snippet proxies WebSockets, forwards the client address, and idle sessions survive its read timeout', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [{ id: 'echo', name: 'Echo' }],
    trustedProxies: ['127.0.0.1'],
    limits: { heartbeatInterval: 500, heartbeatTimeout: 2000 },
  });
  // A short read timeout: without Porthole's pings the idle session below would be cut.
  const nginx = await startNginx(proxy.port, (location) => {
    assert.match(location, /proxy_read_timeout \S+;/);
    return location.replace(/proxy_read_timeout \S+;/, 'proxy_read_timeout 2s;');
  });
  t.after(() => nginx.close());
  const { port } = nginx;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?host=echo`, 'porthole.v1', {
    origin: `http://127.0.0.1:${port}`,
    // Another loopback source address, so the forwarded address differs from nginx's own.
    localAddress: '127.0.0.2',
  });
  const got = collect(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(Buffer.from('through nginx'));
  await waitFor(() => got.bytes().toString() === 'through nginx', 'echo through nginx');
  const open = proxy.logs.find((l) => l.event === 'session.open');
  assert.equal(open?.ip, '127.0.0.2', 'the forwarded client address is logged, not the proxy');
  // Idle for twice nginx's read timeout: Porthole's pings keep the connection alive.
  await new Promise((r) => setTimeout(r, 4500));
  assert.equal(ws.readyState, WebSocket.OPEN);
  ws.send(Buffer.from('!'));
  await waitFor(() => got.bytes().toString() === 'through nginx!', 'echo after idling');
  ws.close();
});
