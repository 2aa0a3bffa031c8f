/**
 * The complete site (deploy/nginx/site.conf with the location snippet it includes) on Debian's
 * nginx: `nginx -t` accepts it, then the same nginx serves it: TLS in front of a Porthole
 * configured as the file's header says, a WebSocket session through it, and the plain-HTTP
 * server's redirect. Only ports, certificate paths and the include path are swapped.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { collect, waitFor, withProxy } from './helpers/proxy.ts';
import { makeCert } from './helpers/tls-cert.ts';

const NGINX = '/usr/sbin/nginx';
const SITE = 'play.example.org';
const read = (p: string): string => readFileSync(new URL(`../${p}`, import.meta.url), 'utf8');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const address = s.address();
  await new Promise((r) => s.close(r));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Site {
  dir: string;
  conf: string;
  tlsPort: number;
  httpPort: number;
}

/** The shipped files in a temp prefix: a minimal nginx.conf whose http block includes the site. */
async function writeSite(upstreamPort: number): Promise<Site> {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-nginx-site-'));
  const cert = makeCert(dir, SITE);
  const [tlsPort, httpPort] = [await freePort(), await freePort()];
  const location = join(dir, 'porthole-location.conf');
  writeFileSync(
    location,
    read('deploy/nginx/porthole-location.conf').replace(
      '127.0.0.1:8080',
      `127.0.0.1:${upstreamPort}`,
    ),
  );
  const site = read('deploy/nginx/site.conf')
    .replace(/listen 443 ssl;/, `listen 127.0.0.1:${tlsPort} ssl;`)
    .replace(/listen \[::\]:443 ssl;/, `listen [::1]:${tlsPort} ssl;`)
    .replace(/listen 80;/, `listen 127.0.0.1:${httpPort};`)
    .replace(/listen \[::\]:80;/, `listen [::1]:${httpPort};`)
    .replace(/ssl_certificate\s+\S+;/, `ssl_certificate ${cert.cert};`)
    .replace(/ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${cert.key};`)
    .replace('/etc/nginx/snippets/porthole-location.conf', location);
  writeFileSync(join(dir, 'site.conf'), site);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  include ${dir}/site.conf;
}
`,
  );
  return { dir, conf, tlsPort, httpPort };
}

function redirectOf(port: number): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/h/mud?x=1', headers: { Host: SITE } });
    req.once('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
    });
    req.once('error', reject);
    req.end();
  });
}

test('deploy/nginx/site.conf passes nginx -t and serves Porthole over TLS', async (t) => {
  assert.ok(existsSync(NGINX), 'nginx is missing: npm test installs it (scripts/test-deps.sh)');
  // The Porthole side, as the header of site.conf pairs it.
  const proxy = await withProxy(t, {
    hosts: [{ id: 'echo', name: 'Echo' }],
    publicUrl: `https://${SITE}`,
    trustedProxies: ['127.0.0.1'],
  });
  const site = await writeSite(proxy.port);

  const check = spawnSync(NGINX, ['-t', '-p', site.dir, '-c', site.conf], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stderr, /syntax is ok/);
  assert.match(check.stderr, /test is successful/);
  // `nginx -t` writes the pid file too; the wait below is for the serving nginx's.
  rmSync(join(site.dir, 'nginx.pid'), { force: true });

  const nginx = spawn(NGINX, ['-p', site.dir, '-c', site.conf], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  nginx.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  t.after(() => nginx.kill('SIGKILL'));
  await waitFor(() => existsSync(join(site.dir, 'nginx.pid')) || stderr !== '', 'nginx start');
  assert.equal(stderr, '');

  const ws = new WebSocket(`wss://127.0.0.1:${site.tlsPort}/ws?host=echo`, 'porthole.v1', {
    headers: { Host: SITE },
    origin: `https://${SITE}`,
    rejectUnauthorized: false, // the test's self-signed certificate
  });
  const got = collect(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(Buffer.from('through the site'));
  await waitFor(() => got.bytes().toString() === 'through the site', 'echo through TLS nginx');
  ws.close();

  const redirect = await redirectOf(site.httpPort);
  assert.equal(redirect.status, 301);
  assert.equal(redirect.location, `https://${SITE}/h/mud?x=1`);
});
