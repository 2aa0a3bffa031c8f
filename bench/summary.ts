/** Turns the measured figures into the table rows, with the issue 4 targets. */
import type { ConnsResult } from './conns.ts';
import type { FloodResult } from './flood.ts';
import type { Row } from './report.ts';

interface SeriesLike {
  median: number;
}

export interface Figures {
  down: Record<string, SeriesLike>;
  up: Record<string, Record<string, SeriesLike>>;
  rtt: Record<string, Record<string, { p50: SeriesLike; p99: SeriesLike }>>;
  cpu: Record<string, { sPerGiB: number }>;
  flood: FloodResult | undefined;
  conns: ConnsResult[];
  haveSocat: boolean;
}

const MODES = [
  ['v1', 'porthole.v1'],
  ['binary', 'binary'],
] as const;

/** Higher is better: ratio = Porthole ÷ reference. */
function rate(
  metric: string,
  s: Record<string, SeriesLike> | undefined,
  mode: string,
  target: { against: 'direct' | 'socat'; min: number } | undefined,
): Row | undefined {
  const porthole = s?.[mode]?.median;
  if (s === undefined || porthole === undefined) return undefined;
  const direct = s.direct?.median;
  const socat = s.socat?.median;
  const row: Row = { metric, unit: 'MB/s', porthole, target: '' };
  if (direct !== undefined) {
    row.direct = direct;
    row.vsDirect = porthole / direct;
  }
  if (socat !== undefined) {
    row.socat = socat;
    row.vsSocat = porthole / socat;
  }
  if (target !== undefined) {
    const ratio = target.against === 'direct' ? row.vsDirect : row.vsSocat;
    row.target = `≥ ${target.min}× ${target.against}`;
    if (ratio !== undefined) row.pass = ratio >= target.min;
  }
  return row;
}

/** Lower is better: ratio = Porthole ÷ reference. */
function latency(
  metric: string,
  s: Record<string, { p50: SeriesLike; p99: SeriesLike }> | undefined,
  mode: string,
  which: 'p50' | 'p99',
  maxVsDirect: number | undefined,
): Row | undefined {
  const porthole = s?.[mode]?.[which].median;
  if (s === undefined || porthole === undefined) return undefined;
  const row: Row = { metric, unit: 'µs', porthole, target: '' };
  const direct = s.direct?.[which].median;
  const socat = s.socat?.[which].median;
  if (direct !== undefined) {
    row.direct = direct;
    row.vsDirect = porthole / direct;
  }
  if (socat !== undefined) {
    row.socat = socat;
    row.vsSocat = porthole / socat;
  }
  if (maxVsDirect !== undefined && row.vsDirect !== undefined) {
    row.target = `≤ ${maxVsDirect}× direct`;
    row.pass = row.vsDirect <= maxVsDirect;
  }
  return row;
}

function cpuRow(metric: string, f: Figures, key: string, mode: string): Row | undefined {
  const porthole = f.cpu[`${key}/${mode}`]?.sPerGiB;
  if (porthole === undefined) return undefined;
  const socat = f.cpu[`${key}/socat`]?.sPerGiB;
  const row: Row = { metric, unit: 's/GiB', porthole, target: '' };
  if (socat !== undefined) {
    row.socat = socat;
    row.vsSocat = porthole / socat;
  }
  return row;
}

function connsRows(c: ConnsResult): Row[] {
  const name = c.workers === 1 ? '1 process' : `${c.workers} workers`;
  const want = Math.min(c.workers === 1 ? 9900 : 19_000, c.target);
  const rows: Row[] = [
    {
      metric: `conns held, ${name}`,
      unit: 'sessions',
      porthole: c.held,
      target: `≥ ${want.toLocaleString('en-US')}`,
      pass: c.held >= want,
    },
    {
      metric: `conns setup rate, ${name}`,
      unit: 'sessions/s',
      porthole: c.setupPerS,
      target: '≥ 2,000',
      pass: c.setupPerS >= 2000,
    },
    {
      metric: `conns RSS per session, ${name}`,
      unit: 'KB',
      porthole: c.rssPerSessionBytes / 1000,
      target: '≤ 10',
      pass: c.rssPerSessionBytes <= 10_000,
    },
  ];
  if (c.overload.tried > 0) {
    const refused = c.overload.tried - c.overload.accepted;
    rows.push({
      metric: `overload +${c.overload.tried}, ${name}: refused`,
      unit: 'sessions',
      porthole: refused,
      target: 'no crash, held kept',
      pass: c.overload.proxyAlive && c.overload.heldAfter >= c.held,
    });
  }
  return rows;
}

export function summarise(f: Figures): Row[] {
  const rows: (Row | undefined)[] = [];
  for (const [mode, label] of MODES) {
    rows.push(
      rate(`down, ${label}`, f.down, mode, {
        against: f.haveSocat ? 'socat' : 'direct',
        min: f.haveSocat ? 0.9 : 0.5,
      }),
    );
  }
  for (const [frame, min] of [
    ['4KiB', 0.7],
    ['64KiB', 0.5],
  ] as const) {
    for (const [mode, label] of MODES) {
      rows.push(
        rate(`up ${frame} frames, ${label}`, f.up[frame], mode, { against: 'direct', min }),
      );
    }
  }
  rows.push(latency('rtt p50, 1 session', f.rtt['1'], 'v1', 'p50', 2.2));
  rows.push(latency('rtt p99, 1 session', f.rtt['1'], 'v1', 'p99', undefined));
  rows.push(latency('rtt p50, 16 sessions', f.rtt['16'], 'v1', 'p50', undefined));
  rows.push(latency('rtt p99, 16 sessions', f.rtt['16'], 'v1', 'p99', 2.5));
  rows.push(latency('rtt p50, 1 session, binary', f.rtt['1'], 'binary', 'p50', 2.2));
  rows.push(cpuRow('cpu per GiB down, porthole.v1', f, 'down', 'v1'));
  rows.push(cpuRow('cpu per GiB down, binary', f, 'down', 'binary'));
  rows.push(cpuRow('cpu per GiB up 4KiB, porthole.v1', f, 'up4k', 'v1'));
  rows.push(cpuRow('cpu per GiB up 64KiB, porthole.v1', f, 'up64k', 'v1'));
  for (const c of f.conns) rows.push(...connsRows(c));
  if (f.flood !== undefined) {
    const fl = f.flood;
    rows.push({
      metric: `flood ${fl.seconds} s, ${fl.sessions} slow readers: RSS peak growth`,
      unit: '%',
      porthole: fl.driftPct,
      target: '≤ +10 %, none dropped',
      pass: fl.driftPct <= 10 && fl.alive === fl.sessions,
    });
    rows.push({
      metric: `flood ${fl.seconds} s: RSS min–max`,
      unit: 'MiB',
      porthole: fl.maxMiB,
      target: `min ${fl.minMiB.toFixed(0)}, spread ${fl.spreadPct.toFixed(0)} %`,
    });
  }
  return rows.filter((r): r is Row => r !== undefined);
}
