/**
 * `conns`: ramp to N concurrent sessions (one 32-byte echo each), hold them, and report how
 * many stayed up, the setup rate and the proxy's RSS per session. The load clients and the
 * echo backends are split across processes so each stays under the 20 000-descriptor cap.
 * Then an overload probe: more sessions than the proxy can take must be refused cleanly.
 */
import type { ChildProcess } from 'node:child_process';
import type { BackendMessage, BackendPorts } from './backend-child.ts';
import type { LoadCommand, LoadMessage } from './load-child.ts';
import { forkTs, nextMessage, type ProcSample, type ProxyProcess } from './proc.ts';

export interface ConnsOptions {
  /** How the table names this run: "1 process", "1 process, token auth", "naive relay". */
  label: string;
  workers: number;
  /** Sent as `?token=` on every upgrade (the proxy runs with token auth). */
  token?: string;
  sessions: number;
  /** Load-client (and backend) processes; sessions are split evenly between them. */
  loads: number;
  concurrency: number;
  holdSeconds: number;
  /** Extra sessions tried once all are held, to see how the proxy refuses them. */
  overload: number;
  /** The proxy runs with `store` on: this samples the store's own process (redis-server). */
  store?: { sample(): ProcSample } | undefined;
  /** Starts the proxy with one echo host per backend (`echo-0`, `echo-1`, …). */
  startProxy: (echoPorts: number[], workers: number) => Promise<ProxyProcess>;
}

export interface ConnsResult {
  label: string;
  workers: number;
  auth: boolean;
  /** Whether the proxy ran with `store` on. */
  store: boolean;
  target: number;
  held: number;
  failed: number;
  failures: Record<string, number>;
  setupPerS: number;
  /** Proxy CPU time per session set up, and the share of one core it used during the ramp. */
  setupCpuUs: number;
  setupCoreShare: number;
  /** With `store` on: the store's (redis-server's) CPU time per session set up. */
  storeSetupCpuUs?: number;
  rssIdleMiB: number;
  rssLoadedMiB: number;
  rssPerSessionBytes: number;
  overload: {
    tried: number;
    accepted: number;
    refusals: Record<string, number>;
    proxyAlive: boolean;
    heldAfter: number;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function ask<T extends LoadMessage>(
  child: ChildProcess,
  cmd: LoadCommand,
  type: T['type'],
): Promise<T> {
  const reply = nextMessage<T>(child, type, 180_000);
  child.send(cmd);
  return reply;
}

type Opened = Extract<LoadMessage, { type: 'opened' }>;
type Live = Extract<LoadMessage, { type: 'live' }>;

function merge(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export async function runConns(opts: ConnsOptions): Promise<ConnsResult> {
  const backends = Array.from({ length: opts.loads }, () => forkTs('backend-child.ts'));
  const loads = Array.from({ length: opts.loads }, () => forkTs('load-child.ts'));
  let proxy: ProxyProcess | undefined;
  try {
    const ready = await Promise.all(
      backends.map((b) => nextMessage<Extract<BackendMessage, { type: 'ready' }>>(b, 'ready')),
    );
    const ports: BackendPorts[] = ready.map((r) => r.ports);
    proxy = await opts.startProxy(
      ports.map((p) => p.echo),
      opts.workers,
    );
    const origin = `http://127.0.0.1:${proxy.port}`;
    const auth = opts.token === undefined ? '' : `&token=${encodeURIComponent(opts.token)}`;
    const url = (i: number): string => `ws://127.0.0.1:${proxy?.port}/ws?host=echo-${i}${auth}`;
    const lane = Math.max(1, Math.floor(opts.concurrency / opts.loads));
    // Warm-up: JIT the upgrade path and grow the heap to its working size, then let it settle.
    await Promise.all(
      loads.map((l, i) =>
        ask<Opened>(
          l,
          { cmd: 'open', url: url(i), origin, count: 200, concurrency: lane },
          'opened',
        ),
      ),
    );
    await Promise.all(loads.map((l) => ask(l, { cmd: 'close' }, 'closed')));
    await sleep(2000);
    const idle = proxy.sample();
    const storeIdle = opts.store?.sample();
    const per = Math.floor(opts.sessions / opts.loads);
    const t0 = performance.now();
    const opened = await Promise.all(
      loads.map((l, i) =>
        ask<Opened>(
          l,
          { cmd: 'open', url: url(i), origin, count: per, concurrency: lane },
          'opened',
        ),
      ),
    );
    const setupS = (performance.now() - t0) / 1000;
    const rampCpuS = proxy.sample().cpuS - idle.cpuS;
    const storeCpuS =
      storeIdle === undefined ? undefined : (opts.store?.sample().cpuS ?? 0) - storeIdle.cpuS;
    const failures: Record<string, number> = {};
    for (const o of opened) merge(failures, o.failures);
    const ok = opened.reduce((a, o) => a + o.ok, 0);
    await sleep(opts.holdSeconds * 1000);
    const loaded = proxy.sample();
    const live = await Promise.all(loads.map((l) => ask<Live>(l, { cmd: 'live' }, 'live')));
    const held = live.reduce((a, l) => a + l.live, 0);
    const overload = await probeOverload(loads, opts.overload, url, origin, proxy);
    await Promise.all(loads.map((l) => ask(l, { cmd: 'close' }, 'closed')));
    return {
      label: opts.label,
      workers: opts.workers,
      auth: opts.token !== undefined,
      store: opts.store !== undefined,
      target: per * opts.loads,
      held,
      failed: per * opts.loads - ok,
      failures,
      setupPerS: ok / setupS,
      setupCpuUs: (rampCpuS / Math.max(ok, 1)) * 1e6,
      setupCoreShare: rampCpuS / setupS,
      ...(storeCpuS === undefined ? {} : { storeSetupCpuUs: (storeCpuS / Math.max(ok, 1)) * 1e6 }),
      rssIdleMiB: idle.rssBytes / 2 ** 20,
      rssLoadedMiB: loaded.rssBytes / 2 ** 20,
      rssPerSessionBytes: ok > 0 ? (loaded.rssBytes - idle.rssBytes) / ok : Number.NaN,
      overload,
    };
  } finally {
    await proxy?.stop();
    for (const c of [...loads, ...backends]) c.kill();
  }
}

async function probeOverload(
  loads: ChildProcess[],
  count: number,
  url: (i: number) => string,
  origin: string,
  proxy: ProxyProcess,
): Promise<ConnsResult['overload']> {
  const first = loads[0];
  if (first === undefined || count === 0) {
    return { tried: 0, accepted: 0, refusals: {}, proxyAlive: true, heldAfter: 0 };
  }
  const extra = await ask<Opened>(
    first,
    { cmd: 'open', url: url(0), origin, count, concurrency: 16 },
    'opened',
  );
  await sleep(1000);
  const live = await Promise.all(loads.map((l) => ask<Live>(l, { cmd: 'live' }, 'live')));
  return {
    tried: count,
    accepted: extra.ok,
    refusals: extra.failures,
    proxyAlive: proxy.child.exitCode === null && proxy.child.signalCode === null,
    heldAfter: live.reduce((a, l) => a + l.live, 0),
  };
}
