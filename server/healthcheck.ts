/**
 * `porthole --healthcheck`: the container's HEALTHCHECK. It reads the same config, flags and
 * environment as the server, so it follows the configured port and TLS, and asks /healthz.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Config } from './config/config.ts';

const TIMEOUT_MS = 3000;

/** Where this machine reaches its own listener (a wildcard address means loopback). */
function probeHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host.replace(/^\[|\]$/g, '');
}

/** Resolves true when /healthz answers 200 within 3 s. */
export function healthcheck(config: Readonly<Config>): Promise<boolean> {
  const tls = config.tls !== undefined;
  const options = {
    host: probeHost(config.listen.host),
    port: config.listen.port,
    path: '/healthz',
    timeout: TIMEOUT_MS,
    // Our own certificate, by address: its name is the public one.
    ...(tls ? { rejectUnauthorized: false } : {}),
  };
  return new Promise((resolve) => {
    const req = (tls ? httpsRequest : httpRequest)(options, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
