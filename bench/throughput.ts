/**
 * The `down`, `up` and `rtt` suites: every path (direct TCP, each peer present, Porthole in
 * both modes) measured in turn within each repeat, so a noisy neighbour hits all of them
 * alike. Each measurement charges the relay's CPU time to its path.
 */
import type { BackendMessage, BackendPorts } from './backend-child.ts';
import { missingReason, PEERS, type Peer, type PeerName, startPeer } from './peers.ts';
import { forkTs, nextMessage, type ProcSample, type ProxyProcess } from './proc.ts';
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

const MiB = 2 ** 20;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Series {
  /** One value per repeat, in run order. */
  runs: number[];
  median: number;
}
const series = (runs: number[]): Series => ({ runs, median: median(runs) });

export interface Measured {
  down: Record<string, Series>;
  up: Record<string, Record<string, Series>>;
  rtt: Record<string, Record<string, { p50: Series; p99: Series }>>;
  cpu: Record<string, { cpuS: number; sysS: number; bytes: number; sPerGiB: number }>;
  /** With `store` on: sessions opened on the store paths and the store's commands meanwhile. */
  store?: { sessions: number; commands: number };
}

export interface ThroughputOptions {
  suites: ReadonlySet<'down' | 'up' | 'rtt'>;
  repeats: number;
  streamBytes: number;
  rttRounds: number;
  rttRounds16: number;
  /** `--paths`: only these paths (all when undefined). */
  wanted: readonly string[] | undefined;
  startProxy: (ports: BackendPorts) => Promise<ProxyProcess>;
  /** Porthole with `store` on, for the `v1-store` and `binary-store` paths (none: skipped). */
  startStoreProxy?: ((ports: BackendPorts) => Promise<ProxyProcess>) | undefined;
  /** Porthole with `limits.resume: 0`, for the `v1-noresume` and `binary-noresume` paths. */
  startNoResumeProxy?: ((ports: BackendPorts) => Promise<ProxyProcess>) | undefined;
  /** The store's command count so far (with startStoreProxy). */
  storeCommands?: (() => Promise<number>) | undefined;
  log: (msg: string) => void;
}

function push(into: Record<string, number[]>, key: string, value: number): void {
  const list = into[key] ?? [];
  list.push(value);
  into[key] = list;
}

const fmtSeries = (s: Record<string, Series>): string =>
  Object.entries(s)
    .map(([k, v]) => `${k} ${Math.round(v.median)}`)
    .join(', ');

async function startPeers(
  ports: BackendPorts,
  o: ThroughputOptions,
): Promise<Map<PeerName, Peer<Role>>> {
  const peers = new Map<PeerName, Peer<Role>>();
  for (const name of PEERS) {
    if (o.wanted !== undefined && !o.wanted.includes(name)) continue;
    const peer = await startPeer<Role>(name, { ...ports });
    if (peer === undefined) o.log(`${name}: skipped, ${missingReason(name)}`);
    else peers.set(name, peer);
  }
  return peers;
}

/** One driver per path: how to open a stream and whose CPU time to charge. */
interface Lane {
  open(role: Role): Promise<Stream>;
  cpu(): ProcSample | undefined;
}

function lanes(
  ports: BackendPorts,
  peers: Map<PeerName, Peer<Role>>,
  proxy: ProxyProcess,
  storeProxy: ProxyProcess | undefined,
  noResumeProxy: ProxyProcess | undefined,
  opened: { store: number },
): Map<Path, Lane> {
  const out = new Map<Path, Lane>();
  out.set('direct', { open: (role) => openTcp(ports[role]), cpu: () => undefined });
  for (const [name, peer] of peers) {
    out.set(name, {
      open: (role) =>
        name === 'socat'
          ? openTcp(peer.relays[role].port)
          : openWs(peer.relays[role].port, role, 'binary'),
      cpu: () => peer.sample(),
    });
  }
  // Store on next to store off, so the A/B of each mode is taken moments apart.
  for (const mode of ['v1', 'binary'] as const) {
    out.set(mode, { open: (role) => openWs(proxy.port, role, mode), cpu: () => proxy.sample() });
    if (storeProxy !== undefined)
      out.set(`${mode}-store`, {
        open: (role) => {
          opened.store++;
          return openWs(storeProxy.port, role, mode);
        },
        cpu: () => storeProxy.sample(),
      });
    if (noResumeProxy !== undefined)
      out.set(`${mode}-noresume`, {
        open: (role) => openWs(noResumeProxy.port, role, mode),
        cpu: () => noResumeProxy.sample(),
      });
  }
  return out;
}

/**
 * The paths of repeat `r`, starting `r` places further along: each path follows a different
 * one in each repeat, so no path always runs right after the same one (a process still busy
 * with the previous transfer). It did not explain why one Porthole process of a run can
 * measure 0.55–0.75× its twins on `down`: that follows the process (see README, Performance).
 */
function rotated(paths: Map<Path, Lane>, r: number): [Path, Lane][] {
  const all = [...paths];
  const k = r % Math.max(1, all.length);
  return [...all.slice(k), ...all.slice(0, k)];
}

async function measure(paths: Map<Path, Lane>, o: ThroughputOptions): Promise<Measured> {
  const measured: Measured = { down: {}, up: {}, rtt: {}, cpu: {} };
  const charged = async (key: string, path: Path, lane: Lane, bytes: number, frame?: number) => {
    const before = lane.cpu();
    const t =
      frame === undefined
        ? await runDown(await lane.open('flood'), bytes)
        : await runUp(await lane.open('sink'), bytes, frame);
    await sleep(100); // let forked relays exit (and be reaped) and sessions tear down
    const after = lane.cpu();
    if (before !== undefined && after !== undefined) {
      const e = measured.cpu[`${key}/${path}`] ?? { cpuS: 0, sysS: 0, bytes: 0, sPerGiB: 0 };
      measured.cpu[`${key}/${path}`] = e;
      e.cpuS += after.cpuS - before.cpuS;
      e.sysS += after.sysS - before.sysS;
      e.bytes += t.bytes;
      e.sPerGiB = e.cpuS / (e.bytes / 2 ** 30);
    }
    return t.bytes / t.seconds / 1e6;
  };
  if (o.suites.has('down')) {
    const runs: Record<string, number[]> = {};
    for (let r = 0; r < o.repeats; r++)
      for (const [p, lane] of rotated(paths, r))
        push(runs, p, await charged('down', p, lane, o.streamBytes));
    for (const [p, v] of Object.entries(runs)) measured.down[p] = series(v);
    o.log(`down MB/s: ${fmtSeries(measured.down)}`);
  }
  if (o.suites.has('up')) {
    for (const frame of [4096, 65536]) {
      const runs: Record<string, number[]> = {};
      const tag = `up${frame / 1024}k`;
      for (let r = 0; r < o.repeats; r++)
        for (const [p, lane] of rotated(paths, r))
          push(runs, p, await charged(tag, p, lane, o.streamBytes, frame));
      const key = `${frame / 1024}KiB`;
      const byPath: Record<string, Series> = {};
      for (const [p, v] of Object.entries(runs)) byPath[p] = series(v);
      measured.up[key] = byPath;
      o.log(`up ${key} MB/s: ${fmtSeries(byPath)}`);
    }
  }
  if (o.suites.has('rtt')) for (const n of [1, 16]) measured.rtt[`${n}`] = await rtt(paths, n, o);
  return measured;
}

async function rtt(
  paths: Map<Path, Lane>,
  n: number,
  o: ThroughputOptions,
): Promise<Record<string, { p50: Series; p99: Series }>> {
  const p50: Record<string, number[]> = {};
  const p99: Record<string, number[]> = {};
  for (let r = 0; r < o.repeats; r++) {
    for (const [p, lane] of rotated(paths, r)) {
      const streams = await Promise.all(Array.from({ length: n }, () => lane.open('echo')));
      const samples = await runRtt(streams, n === 1 ? o.rttRounds : o.rttRounds16);
      for (const s of streams) s.close();
      samples.sort((a, b) => a - b);
      push(p50, p, percentile(samples, 0.5));
      push(p99, p, percentile(samples, 0.99));
      await sleep(50);
    }
  }
  const out: Record<string, { p50: Series; p99: Series }> = {};
  for (const p of paths.keys()) out[p] = { p50: series(p50[p] ?? []), p99: series(p99[p] ?? []) };
  const shown = [...paths.keys()].map(
    (p) => `${p} ${Math.round(out[p]?.p50.median ?? 0)}/${Math.round(out[p]?.p99.median ?? 0)}`,
  );
  o.log(`rtt ${n} session(s) p50/p99 µs: ${shown.join(', ')}`);
  return out;
}

export async function throughputSuites(o: ThroughputOptions): Promise<Measured> {
  const backend = forkTs('backend-child.ts');
  const ready = await nextMessage<Extract<BackendMessage, { type: 'ready' }>>(backend, 'ready');
  const ports = ready.ports;
  const peers = await startPeers(ports, o);
  const proxy = await o.startProxy(ports);
  const storeWanted = o.wanted === undefined || o.wanted.some((p) => p.endsWith('-store'));
  const noResumeWanted = o.wanted === undefined || o.wanted.some((p) => p.endsWith('-noresume'));
  let storeProxy: ProxyProcess | undefined;
  let noResumeProxy: ProxyProcess | undefined;
  try {
    if (storeWanted && o.startStoreProxy !== undefined) storeProxy = await o.startStoreProxy(ports);
    if (noResumeWanted && o.startNoResumeProxy !== undefined)
      noResumeProxy = await o.startNoResumeProxy(ports);
    const opened = { store: 0 };
    const before = storeProxy === undefined ? undefined : await o.storeCommands?.();
    const all = lanes(ports, peers, proxy, storeProxy, noResumeProxy, opened);
    const paths = new Map([...all].filter(([p]) => o.wanted === undefined || o.wanted.includes(p)));
    o.log(`warm-up on ${[...paths.keys()].join(', ')}`);
    for (const lane of paths.values()) {
      await runDown(await lane.open('flood'), 32 * MiB);
      await runUp(await lane.open('sink'), 32 * MiB, 4096);
      await runRtt([await lane.open('echo')], 500);
    }
    const measured = await measure(paths, o);
    await sleep(500); // the last sessions' releases reach the store
    const after = before === undefined ? undefined : await o.storeCommands?.();
    if (before !== undefined && after !== undefined && opened.store > 0) {
      // Less the two INFO connections themselves.
      measured.store = { sessions: opened.store, commands: after - before - 1 };
      o.log(
        `store: ${after - before - 1} commands for ${opened.store} sessions on the store paths`,
      );
    }
    return measured;
  } finally {
    await proxy.stop();
    await storeProxy?.stop();
    await noResumeProxy?.stop();
    for (const peer of peers.values()) peer.stop();
    backend.kill();
  }
}
