/**
 * Real processes for the shared-store tests: a Debian `redis-server` on a free loopback port
 * and Porthole instances started from the CLI, each stopped by PID (never by name).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { requireBinary } from './telnet-servers.ts';

const MAIN = new URL('../../server/main.ts', import.meta.url).pathname;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Answers PING with PONG on 127.0.0.1:port? */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('error', () => resolve(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d: Buffer) => {
      s.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts redis-server (no persistence) on `port` (a free one unless given). */
export async function startRedis(port?: number): Promise<RedisServer> {
  requireBinary('/usr/bin/redis-server', 'redis-server');
  const p = port ?? (await freePort());
  const child = spawn(
    '/usr/bin/redis-server',
    ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await until('redis-server', () => pong(p));
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    process: child,
    stop: () => stopChild(child),
  };
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export interface Instance {
  port: number;
  process: ChildProcess;
  /** Everything written to stdout (JSON log lines) and stderr so far. */
  out(): string;
  err(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Writes `config` (port 0 unless set) into `dir` and starts the CLI on it (`--workers N`: N listeners). */
export async function startInstance(
  dir: string,
  name: string,
  config: Record<string, unknown>,
  args: string[] = [],
  listeners = 1,
): Promise<Instance> {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ listen: { host: '127.0.0.1', port: 0 }, ...config }), {
    mode: 0o600,
  });
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--config', path, ...args], {
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
  const running = /running at http:\/\/127\.0\.0\.1:(\d+)\//;
  await until(`${name} listening`, () => {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}: ${err}`);
    return [...err.matchAll(new RegExp(running, 'g'))].length >= listeners;
  });
  return {
    port: Number(running.exec(err)?.[1]),
    process: child,
    out: () => out,
    err: () => err,
    stop: (signal = 'SIGTERM') => stopChild(child, signal),
  };
}

/**
 * Opens a binary session to `host` on an instance; resolves with the socket or the HTTP status.
 * The handshake times out (rejects) after 10 s: under `--workers`, a connection the primary
 * hands to a worker in the instant that worker dies is never answered (node:cluster waits
 * for the dead worker's acknowledgement), and a retry loop must get past it.
 */
export function connectTo(
  port: number,
  query: string,
  localAddress: string,
): Promise<WebSocket | number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?${query}`, 'binary', {
    origin: `http://127.0.0.1:${port}`,
    localAddress,
    handshakeTimeout: 10_000,
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (e) => {
      if (!/Unexpected server response/.test(e.message)) reject(e);
    });
  });
}

/** Sends a line on a binary session to an echo backend and waits for it to come back. */
export async function echoes(ws: WebSocket, timeoutMs = 5000): Promise<boolean> {
  const text = `ping-${Math.random().toString(36).slice(2)}`;
  let seen = '';
  const onMessage = (d: Buffer): void => {
    seen += d.toString('latin1');
  };
  ws.on('message', onMessage);
  ws.send(Buffer.from(text));
  try {
    await until('echo', () => seen.includes(text), timeoutMs);
    return true;
  } catch {
    return false;
  } finally {
    ws.off('message', onMessage);
  }
}
