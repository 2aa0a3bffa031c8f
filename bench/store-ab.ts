/**
 * The A/B tables: each figure of Porthole with `store` on next to the same figure with the
 * store off, and with resume on (the default) next to resume off, from the same interleaved
 * run, with their ratio. The store is touched at upgrade and close only, and an unused resume
 * ring should cost the byte path nothing, so those rows should agree within the run's noise.
 */
import type { ConnsResult } from './conns.ts';
import type { Figures } from './summary.ts';

export interface AbRow {
  metric: string;
  unit: string;
  off: number | undefined;
  on: number;
  lowerIsBetter: boolean;
}

const MODES = [
  ['v1', 'porthole.v1'],
  ['binary', 'binary'],
] as const;

/**
 * The byte-path rows of a variant path (`v1${suffix}`) against the plain one: the variant is
 * the "on" column (store on), or with `variantIsOff` the "off" one (resume off).
 */
function byteRows(f: Figures, suffix: string, variantIsOff = false): AbRow[] {
  const rows: AbRow[] = [];
  const add = (metric: string, unit: string, base?: number, variant?: number, lower = false) => {
    const [off, on] = variantIsOff ? [variant, base] : [base, variant];
    if (variant !== undefined && on !== undefined)
      rows.push({ metric, unit, off, on, lowerIsBetter: lower });
  };
  for (const [mode, label] of MODES)
    add(`down, ${label}`, 'MB/s', f.down[mode]?.median, f.down[`${mode}${suffix}`]?.median);
  for (const frame of ['4KiB', '64KiB'])
    for (const [mode, label] of MODES) {
      const s = f.up[frame];
      add(
        `up ${frame} frames, ${label}`,
        'MB/s',
        s?.[mode]?.median,
        s?.[`${mode}${suffix}`]?.median,
      );
    }
  for (const n of ['1', '16'])
    for (const which of ['p50', 'p99'] as const)
      for (const [mode, label] of MODES) {
        const s = f.rtt[n];
        const name = `rtt ${which}, ${n} session${n === '1' ? '' : 's'}, ${label}`;
        add(name, 'µs', s?.[mode]?.[which].median, s?.[`${mode}${suffix}`]?.[which].median, true);
      }
  for (const [key, name] of [
    ['down', 'down'],
    ['up4k', 'up 4KiB'],
    ['up64k', 'up 64KiB'],
  ] as const)
    for (const [mode, label] of MODES) {
      const off = f.cpu[`${key}/${mode}`]?.sPerGiB;
      const on = f.cpu[`${key}/${mode}${suffix}`]?.sPerGiB;
      add(`cpu per GiB ${name}, ${label}`, 's/GiB', off, on, true);
    }
  return rows;
}

function connsRows(on: ConnsResult, off: ConnsResult | undefined): AbRow[] {
  const label = off?.label ?? on.label.replace(/, store$/, '');
  const row = (metric: string, unit: string, a: number | undefined, b: number, lower = false) => ({
    metric: `conns ${metric}, ${label}`,
    unit,
    off: a,
    on: b,
    lowerIsBetter: lower,
  });
  const rows = [
    row('held', 'sessions', off?.held, on.held),
    row('setup rate', 'sessions/s', off?.setupPerS, on.setupPerS),
    row(
      'RSS per session',
      'KB',
      off && off.rssPerSessionBytes / 1000,
      on.rssPerSessionBytes / 1000,
      true,
    ),
    row('proxy CPU per set-up', 'µs', off?.setupCpuUs, on.setupCpuUs, true),
  ];
  if (on.storeSetupCpuUs !== undefined)
    rows.push(row('redis-server CPU per set-up', 'µs', undefined, on.storeSetupCpuUs, true));
  return rows;
}

/** Every store-on figure of the run with its store-off twin. */
export function storeAb(f: Figures & { store?: { sessions: number; commands: number } }): AbRow[] {
  const rows = byteRows(f, '-store');
  // What the store saw during the byte-path suites: a few commands per session, whatever
  // the bytes moved (per byte, this would be millions).
  if (f.store !== undefined)
    rows.push({
      metric: `store commands per session, byte-path suites (${f.store.sessions} sessions)`,
      unit: 'commands',
      off: undefined,
      on: f.store.commands / f.store.sessions,
      lowerIsBetter: true,
    });
  for (const on of f.conns.filter((c) => c.store)) {
    const off = f.conns.find((c) => !c.store && c.workers === on.workers && c.auth === on.auth);
    rows.push(...connsRows(on, off));
  }
  return rows;
}

/** Resume on (the default) against resume off (`limits.resume: 0`), byte path only. */
export function resumeAb(f: Figures): AbRow[] {
  return byteRows(f, '-noresume', true);
}

function fmt(v: number | undefined, unit: string): string {
  if (v === undefined || Number.isNaN(v)) return '–';
  if (unit === 's/GiB') return v.toFixed(2);
  if (unit === 'KB' || unit === 'commands') return v.toFixed(1);
  return Math.round(v).toLocaleString('en-US');
}

function cells(r: AbRow): string[] {
  const ratio =
    r.off === undefined || r.off === 0 || Number.isNaN(r.off)
      ? '–'
      : `${(r.on / r.off).toFixed(2)}×`;
  return [
    r.metric,
    r.unit,
    fmt(r.off, r.unit),
    fmt(r.on, r.unit),
    ratio,
    r.lowerIsBetter ? 'lower' : 'higher',
  ];
}

const STORE_HEAD = ['store A/B', 'unit', 'store off', 'store on', 'on ÷ off', 'better'];
const RESUME_HEAD = ['resume A/B', 'unit', 'resume off', 'resume on', 'on ÷ off', 'better'];

export function storeAbMarkdown(rows: readonly AbRow[], HEAD = STORE_HEAD): string {
  return [
    `| ${HEAD.join(' | ')} |`,
    '| --- | --- | --: | --: | --: | --- |',
    ...rows.map((r) => `| ${cells(r).join(' | ')} |`),
  ].join('\n');
}

export function storeAbText(rows: readonly AbRow[], HEAD = STORE_HEAD): string {
  const all = [HEAD, ...rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join(
    '\n',
  );
}

export const resumeAbMarkdown = (rows: readonly AbRow[]): string =>
  storeAbMarkdown(rows, RESUME_HEAD);
export const resumeAbText = (rows: readonly AbRow[]): string => storeAbText(rows, RESUME_HEAD);
