/**
 * Every log line has an `event` (README "Logs"): each pino call in server/ passes an object
 * with an `event` key first. A source scan, so a new call without one fails here at once.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { PACKAGE_ROOT } from '../server/paths.ts';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The argument text of a call starting at `open` (the index just past its `(`). */
function callArguments(text: string, open: number): string {
  let depth = 1;
  let i = open;
  while (depth > 0 && i < text.length) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    i++;
  }
  return text.slice(open, i - 1);
}

test('every log call in server/ names an event', () => {
  const missing: string[] = [];
  let calls = 0;
  for (const file of files(join(PACKAGE_ROOT, 'server'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\blog\.(fatal|error|warn|info|debug|trace)\(/g)) {
      calls++;
      const args = callArguments(text, (m.index ?? 0) + m[0].length);
      if (!/^\s*\{[\s\S]*?\bevent\b/.test(args)) {
        const line = text.slice(0, m.index).split('\n').length;
        missing.push(`${relative(PACKAGE_ROOT, file)}:${line}`);
      }
    }
  }
  assert.ok(calls > 50, `found the log calls (${calls})`);
  assert.deepEqual(missing, []);
});
