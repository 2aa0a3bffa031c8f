/**
 * Debian's nginx in front of Porthole on a free loopback port, configured with the shipped
 * location block (deploy/nginx/porthole-location.conf), as test/nginx.test.ts runs it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './proxy.ts';
import { freePort, requireBinary, stop } from './telnet-servers.ts';

const NGINX = '/usr/sbin/nginx';

export interface Nginx {
  port: number;
  close(): Promise<void>;
}

/**
 * nginx proxying to Porthole on 127.0.0.1:`upstreamPort` with the shipped location block;
 * resolves once it has started. `edit` may change that block first (a shorter timeout, say).
 */
export function startNginx(
  upstreamPort: number,
  edit: (location: string) => string = (l) => l,
): Promise<Nginx> {
  const location = edit(
    readFileSync(
      new URL('../../deploy/nginx/porthole-location.conf', import.meta.url),
      'utf8',
    ).replace('127.0.0.1:8080', `127.0.0.1:${upstreamPort}`),
  );
  return startNginxHttp(
    (port) => `map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${port};
    ${location}
  }`,
  );
}

/** nginx with the `http` block's contents `site(port)` (temp paths and logging are set). */
export function startNginxHttp(site: (port: number) => string): Promise<Nginx> {
  return startNginxConfig(
    (dir, port) => `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  ${site(port)}
}
`,
  );
}

async function startNginxConfig(config: (dir: string, port: number) => string): Promise<Nginx> {
  requireBinary(NGINX, 'nginx');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'porthole-nginx-'));
  writeFileSync(join(dir, 'nginx.conf'), config(dir, port));
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await waitFor(() => {
    try {
      return readFileSync(join(dir, 'nginx.pid'), 'utf8') !== '' || stderr.includes('emerg');
    } catch {
      return false;
    }
  }, 'nginx start');
  if (stderr.includes('emerg')) {
    await stop(child);
    throw new Error(`nginx did not start: ${stderr}`);
  }
  return { port, close: () => stop(child) };
}
