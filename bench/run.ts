/**
 * `npm run bench`: Porthole's byte path against a direct TCP client and a socat relay, on
 * loopback, in one run. The proxy under test is the emitted build (build/server/main.js) in
 * its own process with a generated config; backends and load clients run in other processes.
 * Prints a table (medians of interleaved repeats, ratios to the references) and writes
 * bench-results/latest.json and bench-results/latest.md. Never part of `npm test`.
 *
 *   npm run bench                 full run (about 6–8 minutes on 2 cores)
 *   npm run bench -- --quick      smoke run (about a minute)
 *   npm run bench -- --only down,rtt --repeats 5 --prof
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BackendMessage, BackendPorts } from './backend-child.ts';
import { type ConnsResult, runConns } from './conns.ts';
import { type FloodResult, runFlood } from './flood.ts';
import {
  forkTs,
  nextMessage,
  type ProxyProcess,
  ROOT,
  sample,
  startProxy,
  startSocat,
} from './proc.ts';
import { markdownTable, type Row, textTable } from './report.ts';
import {
  median,
  openTcp,
  openWs,
  type Path,
  percentile,
  type Role,
  runDown,
  runRtt,
  runUp,
  type Stream,
} from './streams.ts';
import { summarise } from './summary.ts';

const SUITES = ['down', 'up', 'rtt', 'flood', 'conns'] as const;
type Suite = (typeof SUITES)[number];
const MiB = 2 ** 20;

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
  holdSeconds: quick ? 2 : 5,
};
const outDir = flags.out ?? join(ROOT, 'bench-results');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (msg: string): void => {
  process.stderr.write(`bench: ${msg}\n`);
};

if (!flags['no-build']) {
  log('building the server (tsc -p tsconfig.build.json)');
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  } catch {
    // tsc still emits on type errors; measure what was emitted, but say so.
    if (!existsSync(join(ROOT, 'build', 'server', 'main.js')))
      throw new Error('the server build failed');
    log('WARNING: the server build reported type errors; measuring the emitted JavaScript anyway');
  }
}
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

function writeConfig(name: string, hosts: Record<string, number>, maxSessions: number): string {
  const path = join(tmp, `${name}.json`);
  const config = {
    listen: { host: '127.0.0.1', port: 0 },
    log: { level: 'info' },
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

export interface Series {
  /** One value per repeat, in run order. */
  runs: number[];
  median: number;
}
const series = (runs: number[]): Series => ({ runs, median: median(runs) });

function push(into: Record<string, number[]>, key: string, value: number): void {
  const list = into[key] ?? [];
  list.push(value);
  into[key] = list;
}

interface Measured {
  down: Record<string, Series>;
  up: Record<string, Record<string, Series>>;
  rtt: Record<string, Record<string, { p50: Series; p99: Series }>>;
  cpu: Record<string, { cpuS: number; sysS: number; bytes: number; sPerGiB: number }>;
}

async function throughputSuites(): Promise<{ measured: Measured; paths: Path[] }> {
  const backend = forkTs('backend-child.ts');
  const ready = await nextMessage<Extract<BackendMessage, { type: 'ready' }>>(backend, 'ready');
  const ports: BackendPorts = ready.ports;
  const socat = {
    echo: await startSocat(ports.echo),
    sink: await startSocat(ports.sink),
    flood: await startSocat(ports.flood),
  };
  const haveSocat =
    socat.echo !== undefined && socat.sink !== undefined && socat.flood !== undefined;
  if (!haveSocat) log('socat not found: the socat reference is skipped');
  const proxy = await startProxy(
    writeConfig('throughput', { ...ports }, 1000),
    proxyLog,
    1,
    nodeArgs('throughput'),
  );
  const wanted = flags.paths?.split(',');
  const paths = (
    ['direct', ...(haveSocat ? (['socat'] as const) : []), 'v1', 'binary'] as Path[]
  ).filter((p) => wanted === undefined || wanted.includes(p));
  const open = (path: Path, role: Role): Promise<Stream> => {
    switch (path) {
      case 'direct':
        return openTcp(ports[role]);
      case 'socat':
        return openTcp(socat[role]?.port ?? 0);
      case 'v1':
      case 'binary':
        return openWs(proxy.port, role, path);
    }
  };
  const cpu: Measured['cpu'] = {};
  /** Runs one measurement and charges the relay's CPU (proxy or socat) to it. */
  const charged = async <T extends { bytes: number }>(
    key: string,
    path: Path,
    run: () => Promise<T>,
  ): Promise<T> => {
    const pid = path === 'socat' ? socat.flood?.pid : path === 'direct' ? undefined : proxy.pid;
    const cpuOf = (): { cpuS: number; sysS: number } =>
      pid === undefined ? { cpuS: 0, sysS: 0 } : path === 'socat' ? socatCpu() : proxy.sample();
    const before = cpuOf();
    const result = await run();
    await sleep(100); // let socat's fork exit (and be reaped) and the session tear down
    const entry = cpu[`${key}/${path}`] ?? { cpuS: 0, sysS: 0, bytes: 0, sPerGiB: 0 };
    cpu[`${key}/${path}`] = entry;
    const after = cpuOf();
    entry.cpuS += after.cpuS - before.cpuS;
    entry.sysS += after.sysS - before.sysS;
    entry.bytes += result.bytes;
    entry.sPerGiB = entry.cpuS / (entry.bytes / 2 ** 30);
    return result;
  };
  const socatCpu = (): { cpuS: number; sysS: number } => {
    const total = { cpuS: 0, sysS: 0 };
    // socat forks one child per connection; the parent's cutime/cstime collect them once reaped.
    for (const s of [socat.echo, socat.sink, socat.flood]) {
      if (s === undefined) continue;
      const one = sample(s.pid, true);
      total.cpuS += one.cpuS;
      total.sysS += one.sysS;
    }
    return total;
  };
  const measured: Measured = { down: {}, up: {}, rtt: {}, cpu };
  try {
    log(`warm-up on ${paths.join(', ')}`);
    for (const p of paths) {
      await runDown(await open(p, 'flood'), 32 * MiB);
      await runUp(await open(p, 'sink'), 32 * MiB, 4096);
      await runRtt([await open(p, 'echo')], 500);
    }
    if (only.has('down')) {
      const runs: Record<string, number[]> = {};
      for (let r = 0; r < opts.repeats; r++) {
        for (const p of paths) {
          const t = await charged('down', p, async () =>
            runDown(await open(p, 'flood'), opts.streamBytes),
          );
          push(runs, p, t.bytes / t.seconds / 1e6);
        }
      }
      for (const [p, v] of Object.entries(runs)) measured.down[p] = series(v);
      log(`down MB/s: ${fmtSeries(measured.down)}`);
    }
    if (only.has('up')) {
      for (const frame of [4096, 65536]) {
        const runs: Record<string, number[]> = {};
        for (let r = 0; r < opts.repeats; r++) {
          for (const p of paths) {
            const t = await charged(`up${frame / 1024}k`, p, async () =>
              runUp(await open(p, 'sink'), opts.streamBytes, frame),
            );
            push(runs, p, t.bytes / t.seconds / 1e6);
          }
        }
        const key = `${frame / 1024}KiB`;
        measured.up[key] = {};
        for (const [p, v] of Object.entries(runs)) measured.up[key][p] = series(v);
        log(`up ${key} MB/s: ${fmtSeries(measured.up[key])}`);
      }
    }
    if (only.has('rtt')) {
      for (const n of [1, 16]) {
        const p50: Record<string, number[]> = {};
        const p99: Record<string, number[]> = {};
        for (let r = 0; r < opts.repeats; r++) {
          for (const p of paths) {
            const streams = await Promise.all(Array.from({ length: n }, () => open(p, 'echo')));
            const samples = await runRtt(streams, n === 1 ? opts.rttRounds : opts.rttRounds16);
            for (const s of streams) s.close();
            samples.sort((a, b) => a - b);
            push(p50, p, percentile(samples, 0.5));
            push(p99, p, percentile(samples, 0.99));
            await sleep(50);
          }
        }
        const key = `${n}`;
        measured.rtt[key] = {};
        for (const p of paths)
          measured.rtt[key][p] = { p50: series(p50[p] ?? []), p99: series(p99[p] ?? []) };
        log(
          `rtt ${n} session(s) p50/p99 µs: ${paths.map((p) => `${p} ${Math.round(measured.rtt[key]?.[p]?.p50.median ?? 0)}/${Math.round(measured.rtt[key]?.[p]?.p99.median ?? 0)}`).join(', ')}`,
        );
      }
    }
    return { measured, paths };
  } finally {
    await proxy.stop();
    for (const s of [socat.echo, socat.sink, socat.flood]) s?.stop();
    backend.kill();
  }
}

function fmtSeries(s: Record<string, Series>): string {
  return Object.entries(s)
    .map(([k, v]) => `${k} ${Math.round(v.median)}`)
    .join(', ');
}

async function floodSuite(): Promise<FloodResult> {
  const backend = forkTs('backend-child.ts');
  const { ports } = await nextMessage<Extract<BackendMessage, { type: 'ready' }>>(backend, 'ready');
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

async function connsSuite(
  workers: number,
  sessions: number,
  loads: number,
  maxSessions: number,
  overload: number,
): Promise<ConnsResult> {
  log(`conns: ${sessions} sessions, ${workers} worker(s), ${loads} load process(es)`);
  return runConns({
    workers,
    sessions,
    loads,
    concurrency: 256,
    holdSeconds: opts.holdSeconds,
    overload: quick ? 0 : overload,
    startProxy: (echoPorts, w): Promise<ProxyProcess> =>
      startProxy(
        writeConfig(
          `conns-${w}`,
          Object.fromEntries(echoPorts.map((p, i) => [`echo-${i}`, p])),
          maxSessions,
        ),
        proxyLog,
        w,
        nodeArgs(`conns-${w}`),
      ),
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadavgBefore = loadavg();
  const { measured, paths } =
    only.has('down') || only.has('up') || only.has('rtt')
      ? await throughputSuites()
      : { measured: { down: {}, up: {}, rtt: {}, cpu: {} }, paths: [] as Path[] };
  const flood = only.has('flood') ? await floodSuite() : undefined;
  const conns: ConnsResult[] = [];
  if (only.has('conns')) {
    // One process: the session cap sits above what 20 000 descriptors allow, so the
    // overload probe meets the descriptor limit; with two workers it meets the session cap.
    conns.push(await connsSuite(1, opts.sessions, 1, 10_500, 400));
    await sleep(2000);
    conns.push(await connsSuite(2, opts.clusterSessions, 2, 9_900, 1200));
  }
  const rows: Row[] = summarise({ ...measured, flood, conns, haveSocat: paths.includes('socat') });
  const meta = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    loadavgBefore,
    quick,
    ...opts,
    seconds: Math.round((Date.now() - started) / 1000),
    loadavgAfter: loadavg(),
  };
  writeFileSync(
    join(outDir, 'latest.json'),
    `${JSON.stringify({ meta, rows, ...measured, flood, conns }, null, 2)}\n`,
  );
  const md = `${markdownTable(rows)}\n\n_${meta.date.slice(0, 10)}, ${meta.cores} cores (${meta.cpu}), Node ${meta.node}, ${meta.command}; medians of ${opts.repeats} interleaved repeats; MB = 10⁶ bytes; load average ${meta.loadavgBefore[0]?.toFixed(1)} before, ${meta.loadavgAfter[0]?.toFixed(1)} after._\n`;
  writeFileSync(join(outDir, 'latest.md'), md);
  process.stdout.write(`\n${textTable(rows)}\n\n`);
  log(`wrote ${join(outDir, 'latest.json')} and latest.md in ${meta.seconds} s`);
}

try {
  await main();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
