/**
 * Medians across several bench runs, row by row: `node --import tsx bench/combine.ts
 * bench-results/run1.json bench-results/run2.json …` prints the combined table as Markdown.
 * Each figure is the median of the runs' figures; ratios are recomputed from those medians.
 */
import { readFileSync } from 'node:fs';
import { markdownTable, type Row, textTable } from './report.ts';
import { median } from './streams.ts';

const files = process.argv.slice(2);
if (files.length === 0) throw new Error('usage: combine.ts RUN.json [RUN.json …]');
const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as { rows: Row[] });
const first = runs[0]?.rows ?? [];
const pick = (metric: string, key: 'direct' | 'socat' | 'porthole'): number | undefined => {
  const values = runs
    .map((r) => r.rows.find((row) => row.metric === metric)?.[key])
    .filter((v): v is number => typeof v === 'number');
  return values.length === 0 ? undefined : median(values);
};
const rows: Row[] = first.map((template) => {
  const row: Row = {
    metric: template.metric,
    unit: template.unit,
    porthole: pick(template.metric, 'porthole') ?? Number.NaN,
    target: template.target,
  };
  const direct = pick(template.metric, 'direct');
  const socat = pick(template.metric, 'socat');
  if (direct !== undefined) {
    row.direct = direct;
    row.vsDirect = row.porthole / direct;
  }
  if (socat !== undefined) {
    row.socat = socat;
    row.vsSocat = row.porthole / socat;
  }
  const m = /^([≥≤]) ([\d.,]+)(×)? ?(direct|socat)?/.exec(template.target);
  if (m !== null) {
    const bound = Number(m[2]?.replace(/,/g, ''));
    const value = m[3] === '×' ? (m[4] === 'socat' ? row.vsSocat : row.vsDirect) : row.porthole;
    if (value !== undefined) row.pass = m[1] === '≥' ? value >= bound : value <= bound;
  } else if (template.pass !== undefined) {
    row.pass =
      runs.filter((r) => r.rows.find((x) => x.metric === template.metric)?.pass === true).length *
        2 >
      runs.length;
  }
  return row;
});
process.stdout.write(`${textTable(rows)}\n\n${markdownTable(rows)}\n`);
