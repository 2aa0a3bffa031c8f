/**
 * Medians across several bench runs, row by row: `node --import tsx bench/combine.ts
 * bench-results/run1.json bench-results/run2.json …` prints the combined table as Markdown.
 * Each figure is the median of the runs' figures; verdicts are recomputed from those medians
 * (a target that is not a number passes when it passed in most runs).
 */
import { readFileSync } from 'node:fs';
import { judge, markdownTable, type Ref, type Row, textTable } from './report.ts';
import { type AbRow, storeAbMarkdown, storeAbText } from './store-ab.ts';
import { median } from './streams.ts';

const files = process.argv.slice(2);
if (files.length === 0) throw new Error('usage: combine.ts RUN.json [RUN.json …]');
const runs = files.map(
  (f) => JSON.parse(readFileSync(f, 'utf8')) as { rows: Row[]; storeAb?: AbRow[] },
);
const first = runs[0]?.rows ?? [];
const matching = (metric: string): Row[] =>
  runs.map((r) => r.rows.find((row) => row.metric === metric)).filter((r) => r !== undefined);
const medianOf = (values: (number | undefined)[]): number | undefined => {
  const present = values.filter((v): v is number => typeof v === 'number');
  return present.length === 0 ? undefined : median(present);
};
const rows: Row[] = first.map((template) => {
  const same = matching(template.metric);
  const refs: Partial<Record<Ref, number>> = {};
  for (const ref of Object.keys(template.refs) as Ref[]) {
    const v = medianOf(same.map((r) => r.refs[ref]));
    if (v !== undefined) refs[ref] = v;
  }
  const row: Row = { ...template, refs, porthole: medianOf(same.map((r) => r.porthole)) ?? NaN };
  delete row.pass;
  const pass = judge(row);
  if (pass !== undefined && template.note === undefined) row.pass = pass;
  else if (template.pass !== undefined)
    row.pass = same.filter((r) => r.pass === true).length * 2 > same.length;
  return row;
});
process.stdout.write(`${textTable(rows)}\n\n${markdownTable(rows)}\n`);
// The store A/B (runs with redis-server): the median of each side across the runs.
const ab: AbRow[] = (runs[0]?.storeAb ?? []).map((template) => {
  const same = runs
    .map((r) => r.storeAb?.find((a) => a.metric === template.metric))
    .filter((a) => a !== undefined);
  const off = medianOf(same.map((a) => a.off));
  return { ...template, off, on: medianOf(same.map((a) => a.on)) ?? NaN };
});
if (ab.length > 0) process.stdout.write(`\n${storeAbText(ab)}\n\n${storeAbMarkdown(ab)}\n`);
