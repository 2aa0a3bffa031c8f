/** The layer check that `npm run lint` runs: it passes on this repo and fails on an upward import or a cycle. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';

const SCRIPT = new URL('../scripts/check-layers.mjs', import.meta.url).pathname;

function check(files: Record<string, string> | undefined): { status: number | null; out: string } {
  let root: string | undefined;
  const args = [SCRIPT];
  if (files !== undefined) {
    root = mkdtempSync(join(tmpdir(), 'porthole-layers-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    args.push('--root', root);
  }
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('layers: this repository has no upward import and no cycle', () => {
  const r = check(undefined);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /gateway +→/);
});

test('layers: a codec importing the session layer fails and names the file', () => {
  const r = check({
    'server/codec/raw.ts': "import { x } from '../session/session.ts';\nexport const y = x;\n",
    'server/session/session.ts': 'export const x = 1;\n',
  });
  assert.equal(r.status, 1);
  assert.match(
    r.out,
    /server\/codec\/raw\.ts \(codec\) imports \.\.\/session\/session\.ts \(session\): upward import/,
  );
});

test('layers: downward imports pass, a cycle inside one layer fails', () => {
  const ok = check({
    'server/session/session.ts': "import { y } from '../codec/raw.ts';\nexport const x = y;\n",
    'server/codec/raw.ts':
      "import type { Z } from '../../shared/protocol.ts';\nexport const y = 1 as Z;\n",
    'shared/protocol.ts': 'export type Z = number;\n',
  });
  assert.equal(ok.status, 0, ok.out);
  const cyc = check({
    'server/targets/a.ts': "import { b } from './b.ts';\nexport const a = b;\n",
    'server/targets/b.ts': "import { a } from './a.ts';\nexport const b = a;\n",
  });
  assert.equal(cyc.status, 1);
  assert.match(
    cyc.out,
    /import cycle: server\/targets\/a\.ts → server\/targets\/b\.ts → server\/targets\/a\.ts/,
  );
});

test('layers: the client never imports the server, and shared/ imports neither side', () => {
  const ok = check({
    'client/main.ts': "import { Z } from '../shared/protocol.ts';\nexport const c = Z;\n",
    'shared/protocol.ts': 'export const Z = 1;\n',
  });
  assert.equal(ok.status, 0, ok.out);
  const bad = check({
    'client/main.ts': "import { x } from '../server/session/session.ts';\nexport const c = x;\n",
    'shared/protocol.ts': "import { c } from '../client/main.ts';\nexport const Z = c;\n",
    'server/session/session.ts': 'export const x = 1;\n',
  });
  assert.equal(bad.status, 1);
  assert.match(
    bad.out,
    /client\/main\.ts imports \.\.\/server\/session\/session\.ts: outside client\/ and shared\//,
  );
  assert.match(bad.out, /shared\/protocol\.ts imports \.\.\/client\/main\.ts: outside shared\//);
});
