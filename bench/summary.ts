/** Turns the measured figures into the table rows, with the issue 17 targets. */
import type { ConnsResult } from './conns.ts';
import type { FloodResult } from './flood.ts';
import { PEERS } from './peers.ts';
import { judge, type Ref, type Row, type Target } from './report.ts';

interface SeriesLike {
  median: number;
}
type ByPath<T> = Record<string, T>;

export interface Figures {
  down: ByPath<SeriesLike>;
  up: Record<string, ByPath<SeriesLike>>;
  rtt: Record<string, ByPath<{ p50: SeriesLike; p99: SeriesLike }>>;
  cpu: Record<string, { sPerGiB: number }>;
  flood: FloodResult | undefined;
  /** Porthole's conns runs (1 process, 1 process with token auth, 2 workers; each with `store` on too). */
  conns: ConnsResult[];
  /** The naive relay's conns run, when it was measured. */
  naiveConns: ConnsResult | undefined;
}

const MODES = [
  ['v1', 'porthole.v1'],
  ['binary', 'binary'],
] as const;
const REFS: readonly Ref[] = ['direct', ...PEERS];
const at = (ref: Ref | 'value', op: Target['op'], factor: number): Target => ({ ref, op, factor });

function row(
  metric: string,
  unit: string,
  porthole: number | undefined,
  refs: Partial<Record<Ref, number>>,
  lowerIsBetter: boolean,
  targets: Target[],
): Row | undefined {
  if (porthole === undefined) return undefined;
  const r: Row = { metric, unit, refs, porthole, lowerIsBetter, targets };
  const pass = judge(r);
  if (pass !== undefined) r.pass = pass;
  return r;
}

function refsOf<T>(s: ByPath<T> | undefined, pick: (v: T) => number): Partial<Record<Ref, number>> {
  const refs: Partial<Record<Ref, number>> = {};
  for (const ref of REFS) {
    const v = s?.[ref];
    if (v !== undefined) refs[ref] = pick(v);
  }
  return refs;
}

function rateRows(f: Figures): (Row | undefined)[] {
  const rows: (Row | undefined)[] = [];
  const median = (v: SeriesLike): number => v.median;
  for (const [mode, label] of MODES) {
    const factor = mode === 'v1' ? 0.9 : 1;
    rows.push(
      row(`down, ${label}`, 'MB/s', f.down[mode]?.median, refsOf(f.down, median), false, [
        at('socat', '≥', factor),
      ]),
    );
  }
  for (const frame of ['4KiB', '64KiB'] as const) {
    const targets = [at('direct', '≥', 0.6), ...(frame === '64KiB' ? [at('naive', '≥', 1)] : [])];
    for (const [mode, label] of MODES) {
      const s = f.up[frame];
      rows.push(
        row(
          `up ${frame} frames, ${label}`,
          'MB/s',
          s?.[mode]?.median,
          refsOf(s, median),
          false,
          targets,
        ),
      );
    }
  }
  return rows;
}

function rttRows(f: Figures): (Row | undefined)[] {
  const rows: (Row | undefined)[] = [];
  for (const [n, which, targeted] of [
    ['1', 'p50', true],
    ['1', 'p99', false],
    ['16', 'p50', false],
    ['16', 'p99', true],
  ] as const) {
    const s = f.rtt[n];
    for (const [mode, label] of MODES) {
      rows.push(
        row(
          `rtt ${which}, ${n} session${n === '1' ? '' : 's'}, ${label}`,
          'µs',
          s?.[mode]?.[which].median,
          refsOf(s, (v) => v[which].median),
          true,
          targeted ? [at('socat', '≤', 1)] : [],
        ),
      );
    }
  }
  return rows;
}

function cpuRows(f: Figures): (Row | undefined)[] {
  return (
    [
      ['down', 'down'],
      ['up4k', 'up 4KiB'],
      ['up64k', 'up 64KiB'],
    ] as const
  ).flatMap(([key, name]) =>
    MODES.map(([mode, label]) => {
      const refs: Partial<Record<Ref, number>> = {};
      for (const p of PEERS) {
        const v = f.cpu[`${key}/${p}`]?.sPerGiB;
        if (v !== undefined) refs[p] = v;
      }
      return row(
        `cpu per GiB ${name}, ${label}`,
        's/GiB',
        f.cpu[`${key}/${mode}`]?.sPerGiB,
        refs,
        true,
        [],
      );
    }),
  );
}

function connsRows(c: ConnsResult, naive: ConnsResult | undefined): Row[] {
  const one = c.workers === 1;
  const primary = one && !c.auth;
  const want = Math.min(one ? 9900 : 19_000, c.target);
  const ref = (v: number | undefined): Partial<Record<Ref, number>> =>
    one && v !== undefined ? { naive: v } : {};
  const rows = [
    row(`conns held, ${c.label}`, 'sessions', c.held, ref(naive?.held), false, [
      at('value', '≥', want),
    ]),
    row(
      `conns setup rate, ${c.label}`,
      'sessions/s',
      c.setupPerS,
      ref(naive?.setupPerS),
      false,
      primary ? [at('value', '≥', 4000)] : [],
    ),
    row(
      `conns RSS per session, ${c.label}`,
      'KB',
      c.rssPerSessionBytes / 1000,
      ref(naive === undefined ? undefined : naive.rssPerSessionBytes / 1000),
      true,
      primary ? [at('value', '≤', 8)] : [],
    ),
  ].filter((r): r is Row => r !== undefined);
  if (c.overload.tried > 0) {
    rows.push({
      metric: `overload +${c.overload.tried}, ${c.label}: refused`,
      unit: 'sessions',
      refs: {},
      porthole: c.overload.tried - c.overload.accepted,
      lowerIsBetter: false,
      targets: [],
      note: 'no crash, held kept',
      pass: c.overload.proxyAlive && c.overload.heldAfter >= c.held,
    });
  }
  return rows;
}

function floodRows(fl: FloodResult): Row[] {
  return [
    {
      metric: `flood ${fl.seconds} s, ${fl.sessions} slow readers: RSS peak growth`,
      unit: '%',
      refs: {},
      porthole: fl.driftPct,
      lowerIsBetter: true,
      targets: [at('value', '≤', 10)],
      note: 'none dropped',
      pass: fl.driftPct <= 10 && fl.alive === fl.sessions,
    },
    {
      metric: `flood ${fl.seconds} s: RSS min–max`,
      unit: 'MiB',
      refs: {},
      porthole: fl.maxMiB,
      lowerIsBetter: true,
      targets: [],
      note: `min ${fl.minMiB.toFixed(0)}, spread ${fl.spreadPct.toFixed(0)} %`,
    },
  ];
}

export function summarise(f: Figures): Row[] {
  const rows: (Row | undefined)[] = [...rateRows(f), ...rttRows(f), ...cpuRows(f)];
  // Store-on runs go to the store A/B table (store-ab.ts), next to their store-off twins.
  for (const c of f.conns.filter((c) => !c.store)) rows.push(...connsRows(c, f.naiveConns));
  if (f.flood !== undefined) rows.push(...floodRows(f.flood));
  return rows.filter((r): r is Row => r !== undefined);
}
