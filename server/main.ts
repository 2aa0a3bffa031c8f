#!/usr/bin/env node
/**
 * Process entry: flags and environment, config, start, signals. The only file that
 * touches process.* (argv, env, exit, signals).
 */
import { parseArgs } from 'node:util';
import { raiseMallocTrimThreshold } from './allocator.ts';
import { createPorthole } from './app.ts';
import { isClusterWorker, parseWorkers, startCluster } from './cluster.ts';
import { createLogger } from './common/log.ts';
import {
  type Config,
  ConfigError,
  DEFAULT_CONFIG_INPUT,
  loadConfigFile,
  resolveConfig,
  withListen,
} from './config/config.ts';
import { hashPassword } from './gateway/auth.ts';
import { createHostRule } from './gateway/host-header.ts';

const USAGE = `Usage: porthole [--config FILE] [--host ADDR] [--port N] [--workers N|auto]

  --config FILE   YAML or JSON config (env PORTHOLE_CONFIG); default: built-in demo config
  --host ADDR     listen address (env PORTHOLE_HOST); default 127.0.0.1
  --port N        listen port (env PORTHOLE_PORT); default 8080
  --workers N     processes sharing the port, or auto = one per core (env PORTHOLE_WORKERS);
                  default 1. Session limits apply per worker.
  --hash-password read a password on stdin, print its hash for auth.users[].passwordHash
  --help          show this help
`;

const FORCE_EXIT_MS = 20_000;

function fail(message: string): never {
  process.stderr.write(`porthole: ${message}\n`);
  process.exit(2);
}

function parsePort(value: string, source: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    fail(`${source} must be a port number 0–65535, got "${value}"`);
  return n;
}

interface Startup {
  config: Readonly<Config>;
  workers: number;
}

async function printPasswordHash(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const password = input.replace(/\r?\n$/, '');
  if (password === '') fail('--hash-password reads the password from stdin; got nothing');
  process.stdout.write(`${await hashPassword(password)}\n`);
}

function loadConfig(): Startup | undefined {
  let args: ReturnType<typeof parseArgs<{ options: typeof options }>>['values'];
  const options = {
    config: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    workers: { type: 'string' },
    'hash-password': { type: 'boolean' },
    help: { type: 'boolean' },
  } as const;
  try {
    args = parseArgs({ options, strict: true }).values;
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`);
  }
  if (args.help === true) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (args['hash-password'] === true) {
    void printPasswordHash();
    return undefined;
  }
  const workersText = args.workers ?? process.env.PORTHOLE_WORKERS ?? '1';
  const workers = parseWorkers(workersText);
  if (workers === undefined) {
    const source = args.workers === undefined ? 'PORTHOLE_WORKERS' : '--workers';
    fail(`${source} must be a whole number 1–64 or "auto", got "${workersText}"`);
  }
  const portText = args.port ?? process.env.PORTHOLE_PORT;
  const listen = {
    host: args.host ?? process.env.PORTHOLE_HOST,
    port:
      portText === undefined
        ? undefined
        : parsePort(portText, args.port === undefined ? 'PORTHOLE_PORT' : '--port'),
  };
  const path = args.config ?? process.env.PORTHOLE_CONFIG;
  try {
    // Overrides go in before validation: --host 0.0.0.0 without TLS fails like the file would.
    const config =
      path === undefined || path === ''
        ? resolveConfig(withListen(DEFAULT_CONFIG_INPUT, listen))
        : loadConfigFile(path, listen);
    return { config, workers };
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

/** The cluster primary: it forks the workers, forwards signals and serves nothing itself. */
function runPrimary(config: Readonly<Config>, workers: number): void {
  const log = createLogger(config.log.level);
  const primary = startCluster(workers, log);
  process.on('SIGTERM', () => primary.stop('SIGTERM'));
  process.on('SIGINT', () => primary.stop('SIGINT'));
  void primary.done.then((code) => {
    log.flush();
    process.exit(code);
  });
}

async function main(): Promise<void> {
  const startup = loadConfig();
  if (startup === undefined) return;
  const { config, workers } = startup;
  if (workers > 1 && !isClusterWorker()) {
    runPrimary(config, workers);
    return;
  }
  await serve(config);
}

async function serve(config: Readonly<Config>): Promise<void> {
  raiseMallocTrimThreshold(process.env);
  const porthole = createPorthole({ config });
  let address: Awaited<ReturnType<typeof porthole.listen>>;
  try {
    address = await porthole.listen();
  } catch (err) {
    fail(`cannot listen on ${config.listen.host}:${config.listen.port}: ${(err as Error).message}`);
  }
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  porthole.log.info(
    { event: 'listening', address: address.address, port: address.port },
    'listening',
  );
  const scheme = config.tls === undefined ? 'http' : 'https';
  process.stderr.write(`Porthole is running at ${scheme}://${shown}:${address.port}/\n`);
  if (createHostRule(config).acceptsAny) {
    porthole.log.warn(
      { event: 'config.warning' },
      'listening beyond loopback without publicUrl or allowedHosts: any Host header is accepted',
    );
  }
  process.on('SIGHUP', () => porthole.reloadTls());

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    porthole.log.info({ event: 'shutdown', signal }, 'draining sessions');
    setTimeout(() => process.exit(1), FORCE_EXIT_MS).unref();
    porthole.close(config.limits.drainGrace).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
