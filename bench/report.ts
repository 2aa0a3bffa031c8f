/** The bench's summary: one row per figure, as a terminal table and as Markdown for the README. */
import { PEERS, type PeerName } from './peers.ts';

export type Ref = 'direct' | PeerName;

/** `porthole op factor × ref` (or `porthole op factor` when ref is 'value'). */
export interface Target {
  ref: Ref | 'value';
  op: '≥' | '≤';
  factor: number;
}

export interface Row {
  metric: string;
  unit: string;
  /** The references measured in the same run: direct TCP and each peer present. */
  refs: Partial<Record<Ref, number>>;
  porthole: number;
  /** Latencies, costs and memory: lower is better. */
  lowerIsBetter: boolean;
  targets: Target[];
  /** A target that is not a number (e.g. "no crash, held kept"), judged by `pass`. */
  note?: string;
  pass?: boolean;
}

/** The best peer on this row (never direct): highest rate, or lowest cost. */
export function bestPeer(r: Row): { name: PeerName; value: number } | undefined {
  let best: { name: PeerName; value: number } | undefined;
  for (const name of PEERS) {
    const value = r.refs[name];
    if (value === undefined || Number.isNaN(value)) continue;
    if (best === undefined || (r.lowerIsBetter ? value < best.value : value > best.value))
      best = { name, value };
  }
  return best;
}

/** Whether every numeric target whose reference was measured holds; undefined if none could be judged. */
export function judge(r: Row): boolean | undefined {
  let verdict: boolean | undefined;
  for (const t of r.targets) {
    const base = t.ref === 'value' ? 1 : r.refs[t.ref];
    if (base === undefined || Number.isNaN(r.porthole)) continue;
    const bound = t.factor * base;
    const ok = t.op === '≥' ? r.porthole >= bound : r.porthole <= bound;
    verdict = (verdict ?? true) && ok;
  }
  return verdict;
}

const targetText = (r: Row): string =>
  [
    ...r.targets.map((t) =>
      t.ref === 'value'
        ? `${t.op} ${t.factor.toLocaleString('en-US')}`
        : `${t.op} ${t.factor}× ${t.ref}`,
    ),
    ...(r.note === undefined ? [] : [r.note]),
  ].join(', ');

function fmt(v: number | undefined, digits = 0): string {
  if (v === undefined || Number.isNaN(v)) return '–';
  if (Math.abs(v) >= 1000 || digits === 0) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(digits);
}

const ratio = (a: number, b: number | undefined): string =>
  b === undefined || Number.isNaN(a) || Number.isNaN(b) || b === 0 ? '–' : `${(a / b).toFixed(2)}×`;

const verdict = (pass: boolean | undefined): string =>
  pass === undefined ? '' : pass ? 'met' : 'MISSED';

/** Peers that appear on at least one row: a skipped peer gets no column. */
function peerColumns(rows: readonly Row[]): PeerName[] {
  return PEERS.filter((p) => rows.some((r) => r.refs[p] !== undefined));
}

function cells(r: Row, peers: readonly PeerName[]): string[] {
  const digits = r.unit === 's/GiB' || r.unit === '%' ? 2 : r.unit === 'KB' ? 1 : 0;
  const best = bestPeer(r);
  return [
    r.metric,
    r.unit,
    fmt(r.refs.direct, digits),
    ...peers.map((p) => fmt(r.refs[p], digits)),
    fmt(r.porthole, digits),
    ratio(r.porthole, r.refs.direct),
    best === undefined ? '–' : `${ratio(r.porthole, best.value)} ${best.name}`,
    targetText(r),
    verdict(r.pass),
  ];
}

function head(peers: readonly PeerName[]): string[] {
  return [
    'metric',
    'unit',
    'direct',
    ...peers,
    'Porthole',
    '÷ direct',
    '÷ best peer',
    'target',
    '',
  ];
}

const numeric = (i: number, peers: readonly PeerName[]): boolean => i >= 2 && i <= 5 + peers.length;

export function textTable(rows: readonly Row[]): string {
  const peers = peerColumns(rows);
  const all = [head(peers), ...rows.map((r) => cells(r, peers))];
  const widths = all[0]?.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]): string =>
    r
      .map((c, i) => (numeric(i, peers) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [
    line(head(peers)),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...all.slice(1).map(line),
  ].join('\n');
}

export function markdownTable(rows: readonly Row[]): string {
  const peers = peerColumns(rows);
  const h = head(peers);
  const out = [
    `| ${h.join(' | ')} |`,
    `|${h.map((_, i) => (numeric(i, peers) ? ' --: ' : ' --- ')).join('|')}|`,
  ];
  for (const r of rows) out.push(`| ${cells(r, peers).join(' | ')} |`);
  return out.join('\n');
}
