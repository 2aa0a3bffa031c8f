/**
 * `--workers N`: the primary forks N workers that each run a full Porthole on the shared
 * port (node:cluster; on Linux the primary accepts and hands connections out round-robin).
 * The primary forwards a drain signal to every worker and finishes once all have exited;
 * a worker that dies on its own is replaced, one at most every RESPAWN_DELAY_MS.
 *
 * Each worker holds its own sessions and demo host: `limits.maxSessions` applies per worker,
 * and a worker's file-descriptor cap is its own. Without a `store`, the primary holds the
 * lockout, upgrade rates and sessions per address and per user for all workers (IPC).
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from './common/log.ts';
import { AdminHost, type AdminPeer, isAdminMessage } from './gateway/ipc-sessions.ts';
import { isStateRequest, type StateChannel, StateHost } from './gateway/ipc-state.ts';
import { forwardRoutedResumes } from './gateway/resume-route.ts';
import type { MemoryState } from './gateway/shared-state.ts';
import { createMetricsServer, type MetricsServer } from './http/metrics-server.ts';

const MAX_WORKERS = 64;
const RESPAWN_DELAY_MS = 1000;
/** main.ts exits with 2 for usage, config and listen errors. */
const EXIT_CANNOT_START = 2;

/** `auto` = one worker per core; otherwise an integer 1–64. Undefined when invalid. */
export function parseWorkers(text: string): number | undefined {
  if (text === 'auto') return availableParallelism();
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 && n <= MAX_WORKERS ? n : undefined;
}

const COOKIE_KEY_ENV = 'PORTHOLE_CLUSTER_COOKIE_KEY';

/**
 * In a worker: the key the primary made for signing login cookies, so that every worker
 * accepts every other's cookie when the config has no `cookieSecret`. Read once, then
 * removed from the environment (child processes need not inherit it).
 */
export function takeClusterCookieKey(): string | undefined {
  if (!cluster.isWorker) return undefined;
  const key = process.env[COOKIE_KEY_ENV];
  delete process.env[COOKIE_KEY_ENV];
  return key;
}

/** In a worker: the channel to the primary's shared state (see gateway/ipc-state.ts). */
export function clusterStateChannel(): StateChannel {
  return {
    send: (message) => process.send?.(message),
    onMessage: (listener) => process.on('message', listener),
  };
}

/** True in a process forked by startCluster(): it runs one Porthole and nothing else. */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

export interface ClusterPrimary {
  /** Sends `signal` to every worker (they drain); `done` resolves once all have exited. */
  stop(signal: NodeJS.Signals): void;
  /** Passes a signal on to every live worker (SIGHUP: each reloads; nothing stops). */
  forward(signal: NodeJS.Signals): void;
  /** The process exit code: 0 after a requested stop, 2 if a worker could not start. */
  readonly done: Promise<number>;
}

/** Forks `workers` processes running this same entry point with the same arguments. */
export function startCluster(
  workers: number,
  log: Logger,
  sharedState?: MemoryState,
): ClusterPrimary {
  const live = new Set<Worker>();
  let stopping = false;
  let exitCode = 0;
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });

  const cookieKey = randomBytes(32).toString('base64url');
  const fork = (): void => {
    if (stopping) return;
    live.add(cluster.fork({ [COOKIE_KEY_ENV]: cookieKey }));
  };

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'cluster.stop', signal, workers: live.size }, 'stopping workers');
    for (const w of live) w.process.kill(signal);
    if (live.size === 0) resolveDone(exitCode);
  };

  // Without a store, the primary holds the lockout, rates and session counts for all workers.
  const stateHost = sharedState === undefined ? undefined : new StateHost(sharedState);
  if (stateHost !== undefined)
    cluster.on('message', (worker, message: unknown) => {
      if (isStateRequest(message))
        void stateHost.handle(String(worker.id), message, (reply) => {
          if (worker.isConnected()) worker.send(reply);
        });
    });

  // The admin view: every worker's sessions, asked through here (gateway/ipc-sessions.ts).
  const adminHost = new AdminHost();
  const peerOf = (w: Worker): AdminPeer => ({
    key: String(w.id),
    send: (message) => {
      if (w.isConnected()) w.send(message);
    },
  });
  cluster.on('message', (worker, message: unknown) => {
    if (isAdminMessage(message))
      adminHost.handle(
        peerOf(worker),
        message,
        [...live].filter((w) => w.isConnected()).map(peerOf),
      );
  });

  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker);
    stateHost?.workerGone(String(worker.id));
    adminHost.workerGone(String(worker.id));
    if (stopping) {
      if (live.size === 0) resolveDone(exitCode);
      return;
    }
    if (code === EXIT_CANNOT_START) {
      // Bad config, port in use: a replacement would fail the same way.
      log.error(
        { event: 'cluster.start-failed', pid: worker.process.pid, code },
        'worker failed to start',
      );
      exitCode = 2;
      stop('SIGTERM');
      return;
    }
    log.error(
      { event: 'cluster.worker-died', pid: worker.process.pid, code, signal },
      'worker died; starting a replacement',
    );
    setTimeout(fork, RESPAWN_DELAY_MS);
  });

  const forward = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    log.info({ event: 'cluster.signal', signal, workers: live.size }, 'signal passed to workers');
    for (const w of live) w.process.kill(signal);
  };

  forwardRoutedResumes();
  for (let i = 0; i < workers; i++) fork();
  log.info({ event: 'cluster.start', workers }, 'cluster started');
  return { stop, forward, done };
}

/**
 * The primary's `metrics.listen`: one scrape answers for every worker (prom-client asks each
 * worker over IPC and sums their series). Create it before forking.
 */
export function startClusterMetrics(
  listen: { host: string; port: number },
  log: Logger,
): { ready: Promise<AddressInfo>; server: MetricsServer } {
  const aggregator = new AggregatorRegistry();
  const server = createMetricsServer(
    { contentType: aggregator.contentType, metrics: () => aggregator.clusterMetrics() },
    log,
  );
  return { server, ready: server.listen(listen.host, listen.port) };
}

/** In a worker: answer the primary's metrics requests from this registry. */
export function shareWorkerMetrics(registry: Registry): void {
  if (!cluster.isWorker) return;
  // Constructing one is what makes prom-client answer the primary's requests in a worker.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}
