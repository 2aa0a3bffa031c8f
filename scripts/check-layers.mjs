// `npm run lint` runs this: server/ is in layers and imports only go downward (docs/ARCHITECTURE.md).
// Prints the layer graph (which layer imports which, with counts) and exits 1 on an upward
// import between layers or an import cycle between files. shared/ imports only shared/, and
// client/ only client/ and shared/ (the contracts both sides use). A server file over the line
// budget is a warning (an error with --strict). Type-only imports count too: a type is a
// dependency.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const rootArg = process.argv.indexOf('--root');
const ROOT =
  rootArg === -1
    ? resolve(dirname(fileURLToPath(import.meta.url)), '..')
    : resolve(process.argv[rootArg + 1] ?? '.');
const SERVER = join(ROOT, 'server');
const SHARED = join(ROOT, 'shared');
const CLIENT = join(ROOT, 'client');
const MAX_LINES = 320;

/** Top to bottom. A file may import its own layer and any layer below it, and shared/. */
const LAYERS = [
  'entry', // server/*.ts: main, index (library surface), app (composition root), cluster
  'http',
  'gateway',
  'session',
  'targets',
  'config',
  'telnet',
  'codec',
  'common',
];

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules') return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return walk(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(file) {
  const rel = relative(SERVER, file);
  if (rel.startsWith('..')) return relative(ROOT, file).startsWith('shared') ? 'shared' : 'outside';
  const folder = rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : 'entry';
  return LAYERS.includes(folder) ? folder : `unknown folder server/${folder}`;
}

const IMPORT_RE = /(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
const files = walk(SERVER);
const problems = [];
const oversized = [];
const edges = new Map();
const graph = new Map();

for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').length;
  if (lines > MAX_LINES)
    oversized.push(`${relative(ROOT, file)}: ${lines} lines (budget ${MAX_LINES})`);
  const from = layerOf(file);
  if (from.startsWith('unknown')) problems.push(`${relative(ROOT, file)}: ${from} is not a layer`);
  const deps = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const target = resolve(dirname(file), m[1]);
    const to = layerOf(target);
    deps.push(target);
    const key = `${from} → ${to}`;
    edges.set(key, (edges.get(key) ?? 0) + 1);
    if (to === 'shared' || to === from) continue;
    if (to === 'outside' || to.startsWith('unknown')) {
      problems.push(`${relative(ROOT, file)} imports ${m[1]} from outside server/ and shared/`);
      continue;
    }
    if (LAYERS.indexOf(to) < LAYERS.indexOf(from)) {
      problems.push(`${relative(ROOT, file)} (${from}) imports ${m[1]} (${to}): upward import`);
    }
  }
  graph.set(file, deps);
}

// The two sides: shared/ stands alone; the client uses shared/ and never the server.
for (const [dir, allowed] of [
  [SHARED, [SHARED]],
  [CLIENT, [CLIENT, SHARED]],
]) {
  for (const file of walk(dir)) {
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT_RE)) {
      const target = resolve(dirname(file), m[1]);
      if (!allowed.some((a) => target.startsWith(`${a}/`))) {
        problems.push(
          `${relative(ROOT, file)} imports ${m[1]}: outside ${allowed.map((a) => `${relative(ROOT, a)}/`).join(' and ')}`,
        );
      }
    }
  }
}

// Cycles between files (a layer may not import itself in a loop either).
const state = new Map();
function visit(file, stack) {
  state.set(file, 'open');
  for (const dep of graph.get(file) ?? []) {
    if (!graph.has(dep)) continue;
    if (state.get(dep) === 'open') {
      const cycle = [...stack.slice(stack.indexOf(dep)), dep].map((f) => relative(ROOT, f));
      problems.push(`import cycle: ${cycle.join(' → ')}`);
    } else if (!state.has(dep)) visit(dep, [...stack, dep]);
  }
  state.set(file, 'done');
}
for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);

console.log('server/ layer graph (top imports bottom; counts are import statements):');
for (const layer of LAYERS) {
  const out = [...edges]
    .filter(([k]) => k.startsWith(`${layer} → `) && !k.endsWith(`→ ${layer}`))
    .map(([k, n]) => `${k.slice(k.indexOf('→ ') + 2)} ${n}`);
  console.log(`  ${layer.padEnd(8)} → ${out.length > 0 ? out.join(', ') : '(nothing)'}`);
}
for (const o of oversized) console.warn(`  over the line budget: ${o}`);
if (process.argv.includes('--strict')) problems.push(...oversized);
if (problems.length > 0) {
  console.error(`\n${problems.length} layering problem(s):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log('layers ok: no upward import, no cycle');
