/** The bench's summary: one row per figure, as a terminal table and as Markdown for the README. */

export interface Row {
  metric: string;
  unit: string;
  direct?: number;
  socat?: number;
  porthole: number;
  /** Ratio Porthole ÷ reference; for latencies and costs lower is better. */
  vsDirect?: number;
  vsSocat?: number;
  target: string;
  pass?: boolean;
}

function fmt(v: number | undefined, digits = 0): string {
  if (v === undefined || Number.isNaN(v)) return '–';
  if (Math.abs(v) >= 1000 || digits === 0) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(digits);
}

const ratio = (v: number | undefined): string =>
  v === undefined || Number.isNaN(v) ? '–' : `${v.toFixed(2)}×`;

const verdict = (pass: boolean | undefined): string =>
  pass === undefined ? '' : pass ? 'met' : 'MISSED';

function cells(r: Row): string[] {
  const digits = r.unit === 's/GiB' || r.unit === '%' ? 2 : r.unit === 'KB' ? 1 : 0;
  return [
    r.metric,
    r.unit,
    fmt(r.direct, digits),
    fmt(r.socat, digits),
    fmt(r.porthole, digits),
    ratio(r.vsDirect),
    ratio(r.vsSocat),
    r.target,
    verdict(r.pass),
  ];
}

const HEAD = ['metric', 'unit', 'direct', 'socat', 'Porthole', '÷ direct', '÷ socat', 'target', ''];

export function textTable(rows: readonly Row[]): string {
  const all = [HEAD, ...rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i >= 2 && i <= 6 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ');
  return [
    line(HEAD),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map((r) => line(cells(r))),
  ].join('\n');
}

export function markdownTable(rows: readonly Row[]): string {
  const out = [
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map((_, i) => (i >= 2 && i <= 6 ? ' --: ' : ' --- ')).join('|')}|`,
  ];
  for (const r of rows) out.push(`| ${cells(r).join(' | ')} |`);
  return out.join('\n');
}
