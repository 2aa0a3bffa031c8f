// `npm start` runs this first: build the client and the server when their output is missing
// or older than the sources, so a fresh clone starts with one command.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const stale = (out, ...srcs) =>
  !existsSync(out) || Math.max(...srcs.map(newest)) > statSync(out).mtimeMs;

if (stale('dist/public/index.html', 'client', 'shared', 'public')) {
  console.error('porthole: building the client…');
  execSync('npm run --silent build:client', { stdio: 'inherit' });
}
if (stale('build/server/main.js', 'server', 'shared')) {
  console.error('porthole: building the server…');
  execSync('npm run --silent build:server', { stdio: 'inherit' });
}
