/**
 * `npm run bench`: Porthole's byte path against direct TCP and its peers (socat, websockify,
 * a naive `ws` + `net` relay), on loopback, interleaved in one run. The proxy under test is
 * the emitted build (build/server/main.js) in its own process with a generated config;
 * backends, peers and load clients run in other processes. Prints a table (medians of
 * interleaved repeats, ratios to direct and to the best peer) and writes
 * bench-results/latest.json and bench-results/latest.md. Never part of `npm test`.
 *
 *   npm run bench                 full run (about 10 minutes on 2 cores)
 *   npm run bench -- --quick      smoke run (about 2 minutes)
 *   npm run bench -- --only down,rtt --paths socat,naive,v1 --repeats 5 --prof
 *   npm run bench -- --only conns --conns naive,1 --sessions 4000   (some conns plans only)
 *   npm run bench -- --only down,up,rtt,conns --paths v1,binary,v1-store,binary-store \
 *     --conns 1,store,token,token-store --repeats 3     (the store A/B only)
 *
 * With Debian's redis-server installed, Porthole also runs with `store: { url }` (paths
 * `v1-store`, `binary-store`; conns plans `store`, `token-store`), next to the store-less
 * Porthole in the same run, and a second table gives store on ÷ store off. `--no-store` (or
 * no redis-server) leaves it out.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BackendPorts } from './backend-child.ts';
import { type ConnsResult, runConns } from './conns.ts';
import { type FloodResult, runFlood } from './flood.ts';
import { missingReason, NAIVE_RELAY_JS, startRelay } from './peers.ts';
import { forkTs, nextMessage, type ProxyProcess, ROOT, sample, startProxy } from './proc.ts';
import { markdownTable, textTable } from './report.ts';
import { type BenchStore, startStore, storeMissing } from './store.ts';
import {
  resumeAb,
  resumeAbMarkdown,
  resumeAbText,
  storeAb,
  storeAbMarkdown,
  storeAbText,
} from './store-ab.ts';
import { summarise } from './summary.ts';
import { type Measured, throughputSuites } from './throughput.ts';

const SUITES = ['down', 'up', 'rtt', 'flood', 'conns'] as const;
type Suite = (typeof SUITES)[number];
const MiB = 2 ** 20;
const TOKEN = 'bench-token-0123456789abcdef';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    repeats: { type: 'string' },
    sessions: { type: 'string' },
    'cluster-sessions': { type: 'string' },
    'flood-seconds': { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    prof: { type: 'boolean', default: false },
    paths: { type: 'string' },
    limits: { type: 'string' },
    conns: { type: 'string' },
    hold: { type: 'string' },
    'no-store': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench-results') },
  },
});
const quick = flags.quick === true;
const only = new Set<Suite>(
  (flags.only?.split(',') ?? SUITES).filter((s): s is Suite =>
    (SUITES as readonly string[]).includes(s),
  ),
);
const opts = {
  repeats: Number(flags.repeats ?? (quick ? 3 : 5)),
  streamBytes: (quick ? 64 : 256) * MiB,
  rttRounds: quick ? 1000 : 4000,
  rttRounds16: quick ? 300 : 1500,
  sessions: Number(flags.sessions ?? (quick ? 2000 : 9900)),
  clusterSessions: Number(flags['cluster-sessions'] ?? (quick ? 4000 : 19000)),
  floodSeconds: Number(flags['flood-seconds'] ?? (quick ? 10 : 60)),
  floodSessions: 8,
  holdSeconds: Number(flags.hold ?? (quick ? 2 : 5)),
};
const outDir = flags.out ?? join(ROOT, 'bench-results');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (msg: string): void => {
  process.stderr.write(`bench: ${msg}\n`);
};

function tsc(project: string): void {
  log(`building (tsc -p ${project})`);
  const bin = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [bin, '-p', project], { cwd: ROOT, stdio: 'inherit' });
  } catch {
    // tsc still emits on type errors; measure what was emitted, but say so.
    log(`WARNING: tsc -p ${project} reported type errors; measuring the emitted JavaScript`);
  }
}
if (!flags['no-build']) tsc('tsconfig.build.json');
if (!flags['no-build'] || !existsSync(NAIVE_RELAY_JS)) tsc(join('bench', 'tsconfig.relay.json'));
if (!existsSync(join(ROOT, 'build', 'server', 'main.js'))) throw new Error('no server build');
mkdirSync(outDir, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'porthole-bench-'));
const proxyLog = join(outDir, 'proxy.log');
writeFileSync(proxyLog, '');

/** `--limits highWaterBytes=2097152,lowWaterBytes=524288`: config overrides for experiments. */
function extraLimits(): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const pair of flags.limits?.split(',') ?? []) {
    const [key, value] = pair.split('=');
    if (key !== undefined && value !== undefined)
      out[key] = Number.isNaN(Number(value)) ? value : Number(value);
  }
  return out;
}

/** The shared store, when a store path or plan is measured and redis-server is installed. */
let store: BenchStore | undefined;

function writeConfig(
  name: string,
  hosts: Record<string, number>,
  maxSessions: number,
  token = false,
  withStore = false,
  limits: Record<string, number | string> = {},
): string {
  const path = join(tmp, `${name}.json`);
  if (withStore && store === undefined) throw new Error('no store running');
  const config = {
    listen: { host: '127.0.0.1', port: 0 },
    log: { level: 'info' },
    ...(token ? { auth: { mode: 'token', tokens: [{ name: 'bench', token: TOKEN }] } } : {}),
    // Its own key prefix per config: no run sees another's slots or buckets.
    ...(withStore ? { store: { url: store?.url, prefix: `bench-${name}:` } } : {}),
    // The per-address, per-user and per-session rate limits are lifted: this measures the
    // byte path, and every bench client comes from 127.0.0.1.
    limits: {
      maxSessions,
      maxSessionsPerIp: 100_000,
      maxSessionsPerUser: 100_000,
      upgradesPerIpPerMinute: 100_000_000,
      upgradeBurst: 100_000,
      maxMessagesPerSecond: 100_000_000,
      maxBytesPerSecond: 2 ** 40,
      ...limits,
      ...extraLimits(),
    },
    hosts: Object.entries(hosts).map(([id, port]) => ({
      id,
      name: id,
      target: `tcp://127.0.0.1:${port}`,
    })),
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** Node flags for the proxy: --prof adds a V8 CPU profile; BENCH_NODE_ARGS adds anything else. */
const nodeArgs = (tag: string): string[] => [
  ...(process.env.BENCH_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? []),
  ...(flags.prof
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${join(outDir, 'prof')}`,
        `--cpu-prof-name=${tag}-${Date.now()}.cpuprofile`,
      ]
    : []),
];

async function floodSuite(): Promise<FloodResult> {
  const backend = forkTs('backend-child.ts');
  const { ports } = await nextMessage<{ type: 'ready'; ports: BackendPorts }>(backend, 'ready');
  const proxy = await startProxy(
    writeConfig('flood', { flood: ports.flood }, 1000),
    proxyLog,
    1,
    nodeArgs('flood'),
  );
  try {
    log(`flood: ${opts.floodSessions} slow readers for ${opts.floodSeconds} s`);
    return await runFlood({
      port: proxy.port,
      sessions: opts.floodSessions,
      seconds: opts.floodSeconds,
      warmupSeconds: quick ? 3 : 15,
      readBytesPerS: 1e6,
      sample: () => proxy.sample(),
    });
  } finally {
    await proxy.stop();
    backend.kill();
  }
}

/** The naive relay as a `conns` subject: one process, relaying to the one echo backend. */
async function startNaive(echoPorts: number[]): Promise<ProxyProcess> {
  const relay = await startRelay('naive', echoPorts[0] ?? 0);
  if (relay === undefined) throw new Error(missingReason('naive'));
  const { child, pid, port } = relay;
  return {
    child,
    pid,
    port,
    sample: () => sample(pid),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        relay.stop();
      }),
  };
}

interface ConnsPlan {
  label: string;
  workers: number;
  sessions: number;
  maxSessions: number;
  overload: number;
  subject: 'porthole' | 'naive';
  token?: boolean;
  store?: boolean;
}

function connsSuite(plan: ConnsPlan): Promise<ConnsResult> {
  log(`conns: ${plan.sessions} sessions, ${plan.label}`);
  const tag = `conns-${plan.label.replace(/[^a-z0-9]+/g, '-')}`;
  return runConns({
    label: plan.label,
    workers: plan.workers,
    sessions: plan.sessions,
    loads: plan.workers,
    concurrency: 256,
    holdSeconds: opts.holdSeconds,
    overload: quick ? 0 : plan.overload,
    ...(plan.token === true ? { token: TOKEN } : {}),
    store: plan.store === true ? store : undefined,
    startProxy: (echoPorts, w): Promise<ProxyProcess> =>
      plan.subject === 'naive'
        ? startNaive(echoPorts)
        : startProxy(
            writeConfig(
              tag,
              Object.fromEntries(echoPorts.map((p, i) => [`echo-${i}`, p])),
              plan.maxSessions,
              plan.token === true,
              plan.store === true,
            ),
            proxyLog,
            w,
            nodeArgs(tag),
          ),
  });
}

/** Conns plans in run order. One process: the session cap sits above what 20 000 descriptors
 * allow, so the overload probe meets the descriptor limit; with two workers it meets the cap. */
function connsPlans(): ConnsPlan[] {
  const one = { workers: 1, sessions: opts.sessions, maxSessions: 10_500 };
  const plans: ConnsPlan[] = [];
  if (existsSync(NAIVE_RELAY_JS))
    plans.push({ ...one, label: 'naive relay', overload: 0, subject: 'naive' });
  else log(`naive relay conns: skipped, ${missingReason('naive')}`);
  plans.push({ ...one, label: '1 process', overload: 400, subject: 'porthole' });
  const withStore = { ...one, overload: 0, subject: 'porthole', store: true } as const;
  if (storeWanted()) plans.push({ ...withStore, label: '1 process, store' });
  plans.push({
    ...one,
    label: '1 process, token auth',
    overload: 0,
    subject: 'porthole',
    token: true,
  });
  if (storeWanted())
    plans.push({ ...withStore, label: '1 process, token auth, store', token: true });
  plans.push({
    label: '2 workers',
    workers: 2,
    sessions: opts.clusterSessions,
    maxSessions: 9_900,
    overload: 1200,
    subject: 'porthole',
  });
  // `--conns naive,1,store,token,token-store,2`: only those plans.
  const wanted = flags.conns?.split(',');
  if (wanted === undefined) return plans;
  return plans.filter((p) => wanted.includes(planKey(p)));
}

function planKey(p: ConnsPlan): string {
  if (p.subject === 'naive') return 'naive';
  const base = p.token === true ? 'token' : String(p.workers);
  return p.store === true ? (base === '1' ? 'store' : `${base}-store`) : base;
}

/** Whether this run measures Porthole with `store` on (before redis-server is looked for). */
function storeWanted(): boolean {
  if (flags['no-store'] === true) return false;
  const paths = flags.paths?.split(',');
  const plans = flags.conns?.split(',');
  const byteStore =
    (only.has('down') || only.has('up') || only.has('rtt')) &&
    (paths === undefined || paths.some((p) => p.endsWith('-store')));
  const connsStore =
    only.has('conns') && (plans === undefined || plans.some((p) => p.endsWith('store')));
  return byteStore || connsStore;
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadavgBefore = loadavg();
  if (storeWanted()) {
    store = await startStore();
    if (store === undefined) log(`store rows: skipped, ${storeMissing}`);
    else log(`store: redis-server at ${store.url}`);
  }
  const byteSuites = new Set((['down', 'up', 'rtt'] as const).filter((s) => only.has(s)));
  const measured: Measured =
    byteSuites.size > 0
      ? await throughputSuites({
          suites: byteSuites,
          repeats: opts.repeats,
          streamBytes: opts.streamBytes,
          rttRounds: opts.rttRounds,
          rttRounds16: opts.rttRounds16,
          wanted: flags.paths?.split(','),
          log,
          startProxy: (ports) =>
            startProxy(
              writeConfig('throughput', { ...ports }, 1000),
              proxyLog,
              1,
              nodeArgs('throughput'),
            ),
          startStoreProxy:
            store === undefined
              ? undefined
              : (ports) =>
                  startProxy(
                    writeConfig('throughput-store', { ...ports }, 1000, false, true),
                    proxyLog,
                    1,
                    nodeArgs('throughput-store'),
                  ),
          // The resume A/B: the same build with resume off (it is on by default).
          startNoResumeProxy: (ports) =>
            startProxy(
              writeConfig('throughput-noresume', { ...ports }, 1000, false, false, { resume: 0 }),
              proxyLog,
              1,
              nodeArgs('throughput-noresume'),
            ),
          storeCommands:
            store === undefined ? undefined : () => store?.commands() ?? Promise.resolve(0),
        })
      : { down: {}, up: {}, rtt: {}, cpu: {} };
  const flood = only.has('flood') ? await floodSuite() : undefined;
  const conns: ConnsResult[] = [];
  let naiveConns: ConnsResult | undefined;
  if (only.has('conns')) {
    for (const plan of connsPlans()) {
      if (plan.store === true && store === undefined) continue;
      const result = await connsSuite(plan);
      if (plan.subject === 'naive') naiveConns = result;
      else conns.push(result);
      await sleep(2000);
    }
  }
  const figures = { ...measured, flood, conns, naiveConns };
  const rows = summarise(figures);
  const ab = storeAb(figures);
  const resume = resumeAb(figures);
  const meta = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    loadavgBefore,
    quick,
    store: store !== undefined,
    ...opts,
    seconds: Math.round((Date.now() - started) / 1000),
    loadavgAfter: loadavg(),
  };
  writeFileSync(
    join(outDir, 'latest.json'),
    `${JSON.stringify({ meta, rows, storeAb: ab, resumeAb: resume, ...measured, flood, conns, naiveConns }, null, 2)}\n`,
  );
  const abMd =
    (ab.length === 0 ? '' : `\n\n${storeAbMarkdown(ab)}`) +
    (resume.length === 0 ? '' : `\n\n${resumeAbMarkdown(resume)}`);
  const md = `${markdownTable(rows)}${abMd}\n\n_${meta.date.slice(0, 16).replace('T', ' ')} UTC, ${meta.cores} cores (${meta.cpu}), Node ${meta.node}, \`${meta.command}\`; medians of ${opts.repeats} interleaved repeats; MB = 10⁶ bytes; load average ${meta.loadavgBefore[0]?.toFixed(1)} before, ${meta.loadavgAfter[0]?.toFixed(1)} after._\n`;
  writeFileSync(join(outDir, 'latest.md'), md);
  process.stdout.write(`\n${textTable(rows)}\n\n`);
  if (ab.length > 0) process.stdout.write(`${storeAbText(ab)}\n\n`);
  if (resume.length > 0) process.stdout.write(`${resumeAbText(resume)}\n\n`);
  log(`wrote ${join(outDir, 'latest.json')} and latest.md in ${meta.seconds} s`);
}

try {
  await main();
} finally {
  await store?.stop();
  rmSync(tmp, { recursive: true, force: true });
}
