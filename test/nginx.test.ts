/**
 * The shipped nginx snippet (deploy/nginx/porthole-location.conf), run for real in front of
 * Porthole: WebSocket upgrade passes, X-Forwarded-For is honoured from the trusted proxy,
 * and an idle session outlives nginx's read timeout thanks to Porthole's pings (G14).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { collect, waitFor, withProxy } from './helpers/proxy.ts';

const NGINX = '/usr/sbin/nginx';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const address = s.address();
  await new Promise((r) => s.close(r));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

test('G14: the nginx snippet proxies WebSockets, forwards the client address, and idle sessions survive its read timeout', async (t) => {
  assert.ok(existsSync(NGINX), 'nginx is missing: run .ci/run (it installs the Debian package)');
  const proxy = await withProxy(t, {
    hosts: [{ id: 'echo', name: 'Echo' }],
    trustedProxies: ['127.0.0.1'],
    limits: { heartbeatInterval: 500, heartbeatTimeout: 2000 },
  });
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'porthole-nginx-'));
  const location = readFileSync(
    new URL('../deploy/nginx/porthole-location.conf', import.meta.url),
    'utf8',
  )
    .replace('127.0.0.1:8080', `127.0.0.1:${proxy.port}`)
    // A short read timeout: without Porthole's pings the idle session below would be cut.
    .replace(/proxy_read_timeout \S+;/, 'proxy_read_timeout 2s;');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${port};
    ${location}
  }
}
`,
  );
  const nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  nginx.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  t.after(() => nginx.kill('SIGKILL'));
  await waitFor(() => {
    try {
      return readFileSync(join(dir, 'nginx.pid'), 'utf8') !== '' || stderr.includes('emerg');
    } catch {
      return false;
    }
  }, 'nginx start');
  assert.ok(!stderr.includes('emerg'), stderr);
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
