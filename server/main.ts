#!/usr/bin/env node
/**
 * Process entry: flags and environment, config, start, signals. The only file that
 * touches process.* (argv, env, exit, signals).
 */
import { raiseMallocTrimThreshold } from './allocator.ts';
import { createPorthole } from './app.ts';
import { packageVersion, parseCommandLine, USAGE, UsageError } from './cli.ts';
import {
  clusterStateChannel,
  isClusterWorker,
  shareWorkerMetrics,
  startCluster,
  startClusterMetrics,
  takeClusterCookieKey,
} from './cluster.ts';
import { createLogger } from './common/log.ts';
import { type Config, ConfigError } from './config/config.ts';
import { loosePermissionsWarning } from './config/file-permissions.ts';
import { hashPassword } from './gateway/auth.ts';
import { createHostRule } from './gateway/host-header.ts';
import { ipcDirectory } from './gateway/ipc-sessions.ts';
import { IpcState } from './gateway/ipc-state.ts';
import { stateOptions } from './gateway/limits.ts';
import { MemoryState } from './gateway/shared-state.ts';
import { healthcheck } from './healthcheck.ts';
import { localDirectory } from './http/sessions-api.ts';
import { reloadConfig } from './reload.ts';

const FORCE_EXIT_MS = 20_000;

function fail(message: string): never {
  process.stderr.write(`porthole: ${message}\n`);
  process.exit(2);
}

async function printPasswordHash(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const password = input.replace(/\r?\n$/, '');
  if (password === '') fail('--hash-password reads the password from stdin; got nothing');
  process.stdout.write(`${await hashPassword(password)}\n`);
}

function readCommandLine(): ReturnType<typeof parseCommandLine> {
  try {
    return parseCommandLine(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof UsageError) fail(`${err.message}\n\n${USAGE}`);
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

/** The cluster primary: it forks the workers, forwards signals and serves nothing itself. */
function runPrimary(config: Readonly<Config>, workers: number): void {
  const log = createLogger(config.log.level);
  const listen = config.metrics.listen;
  const metrics = listen === undefined ? undefined : startClusterMetrics(listen, log);
  if (metrics === undefined)
    log.warn(
      { event: 'config.warning' },
      'with --workers, /metrics on the main port shows whichever worker answers: set metrics.listen for one scrape of all',
    );
  // Without a store, the primary holds the lockout, rates and session counts for every worker.
  const shared = config.store === undefined ? new MemoryState(stateOptions(config)) : undefined;
  const primary = startCluster(workers, log, shared);
  let metricsFailed = false;
  metrics?.ready.then(
    (a) => {
      log.info(
        { event: 'metrics.listening', address: a.address, port: a.port },
        'metrics listening',
      );
    },
    (err: unknown) => {
      log.error({ event: 'metrics.listen-failed', err }, 'cannot open metrics.listen');
      metricsFailed = true;
      primary.stop('SIGTERM');
    },
  );
  // Each worker reloads on SIGHUP; without a handler here it would end the primary.
  process.on('SIGHUP', () => primary.forward('SIGHUP'));
  process.on('SIGTERM', () => primary.stop('SIGTERM'));
  process.on('SIGINT', () => primary.stop('SIGINT'));
  void primary.done.then((code) => {
    log.flush();
    process.exit(metricsFailed ? 2 : code);
  });
}

async function main(): Promise<void> {
  const command = readCommandLine();
  if (command.kind === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (command.kind === 'version') {
    process.stdout.write(`porthole ${packageVersion()}\n`);
    return;
  }
  if (command.kind === 'healthcheck') {
    process.exit((await healthcheck(command.config)) ? 0 : 1);
  }
  if (command.kind === 'hash-password') {
    await printPasswordHash();
    return;
  }
  const { config, workers } = command;
  if (workers > 1 && !isClusterWorker()) {
    runPrimary(config, workers);
    return;
  }
  await serve(config, command.reread, command.configPath);
}

async function serve(
  config: Readonly<Config>,
  reread: (() => Readonly<Config>) | undefined,
  configPath?: string,
): Promise<void> {
  raiseMallocTrimThreshold(process.env);
  const porthole = createPorthole({
    config,
    metricsListener: !isClusterWorker(),
    cookieKey: takeClusterCookieKey(),
    sharedState:
      isClusterWorker() && config.store === undefined
        ? new IpcState(clusterStateChannel())
        : undefined,
    // A worker's admin view asks the primary, which asks every worker (with a store, each
    // worker is an instance of its own there).
    ...(isClusterWorker() && config.store === undefined
      ? { sessionDirectory: (local) => ipcDirectory(clusterStateChannel(), localDirectory(local)) }
      : {}),
  });
  shareWorkerMetrics(porthole.metrics);
  let address: Awaited<ReturnType<typeof porthole.listen>>;
  try {
    address = await porthole.listen();
  } catch (err) {
    const message = (err as Error).message;
    if (message.startsWith('store ')) fail(message);
    fail(`cannot listen on ${config.listen.host}:${config.listen.port}: ${message}`);
  }
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  porthole.log.info(
    { event: 'listening', address: address.address, port: address.port },
    'listening',
  );
  const metricsAt = porthole.metricsAddress();
  if (metricsAt !== undefined)
    porthole.log.info(
      { event: 'metrics.listening', address: metricsAt.address, port: metricsAt.port },
      'metrics listening',
    );
  const scheme = config.tls === undefined ? 'http' : 'https';
  process.stderr.write(`Porthole is running at ${scheme}://${shown}:${address.port}/\n`);
  if (createHostRule(config).acceptsAny) {
    porthole.log.warn(
      { event: 'config.warning' },
      'listening beyond loopback without publicUrl or allowedHosts: any Host header is accepted',
    );
  }
  const loose = configPath === undefined ? undefined : loosePermissionsWarning(configPath, config);
  if (loose !== undefined) porthole.log.warn({ event: 'config.warning' }, loose);
  let running = config;
  let reloading = Promise.resolve();
  process.on('SIGHUP', () => {
    // One reload at a time, in signal order.
    reloading = reloading.then(async () => {
      running = await reloadConfig(porthole, running, reread, porthole.log);
    });
  });

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
