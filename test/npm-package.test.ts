/**
 * The npm package as a user gets it: `npm pack` (prepack builds), the tarball installed into
 * an empty project, `npx porthole` serving the page and a demo session over a WebSocket, and
 * the README's embedding example compiled by a TypeScript consumer under `tsc --init`'s
 * default tsconfig. Dependencies come from the npm cache or registry (`--prefer-offline`).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { PACKAGE_ROOT } from '../server/paths.ts';

const TSC = join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The README's "Embedding" code block, as a user would paste it. */
function readmeEmbeddingExample(): string {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Embedding'));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(m?.[1] !== undefined, 'README has an Embedding ts block');
  return m[1];
}

test('npm pack → install into an empty project → npx porthole serves the page and the demo; the README example type-checks', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'porthole-pack-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  // prepack's build prints to stdout before npm's JSON.
  const out = npm(['pack', '--json', '--pack-destination', work], PACKAGE_ROOT);
  const packed = JSON.parse(out.slice(out.search(/^\[\s*\{/m))) as {
    filename: string;
    files: { path: string }[];
  }[];
  const info = packed[0];
  assert.ok(info !== undefined);
  const files = info.files.map((f) => f.path);
  // Exactly: the server build (with .d.ts), the client build, the docs, package.json.
  const outside = files.filter(
    (f) =>
      !/^(build\/(server|shared)\/.*\.(js|d\.ts)|dist\/public\/.*|docs\/.*\.md|README\.md|SECURITY\.md|package\.json|LICENSE)$/.test(
        f,
      ),
  );
  assert.deepEqual(outside, [], 'nothing but builds, types and docs');
  for (const f of [
    'build/server/main.js',
    'build/server/index.d.ts',
    'dist/public/index.html',
    'README.md',
  ])
    assert.ok(files.includes(f), `${f} is shipped`);
  assert.ok(
    !files.some(
      (f) =>
        f.startsWith('test/') ||
        f.startsWith('bench/') ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    ),
  );
  const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  assert.ok(
    Object.keys(manifest.dependencies).every((d) => !d.startsWith('@xterm/')),
    'xterm is bundled into the client build, not a runtime dependency',
  );

  const app = join(work, 'app');
  execFileSync('mkdir', [app]);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
  );
  npm(
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--ignore-scripts',
      '--omit=optional',
      join(work, info.filename),
    ],
    app,
  );

  // npx porthole: the page and a demo session.
  const child = spawn('npx', ['--no-install', 'porthole', '--port', '0'], {
    cwd: app,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  t.after(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  });
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /running at (http:\/\/127\.0\.0\.1:\d+)\//.exec(err);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`npx porthole exited ${code}: ${err}`)));
  });
  const page = await fetch(`${url}/`);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<script type="module"[^>]*src="\.\/assets\//, 'the built client');
  const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.equal((await fetch(`${url}/${script}`)).status, 200);
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws?host=demo`, 'porthole.v1', {
    origin: url,
  });
  const text: string[] = [];
  ws.on('message', (d: Buffer, isBinary: boolean) => {
    if (isBinary) text.push(d.toString('utf8'));
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const deadline = Date.now() + 15_000;
  while (!/demo/i.test(text.join('')) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  assert.match(text.join(''), /demo/i, 'the demo host greets');
  ws.close();
  if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');

  // A TypeScript consumer: `tsc --init` defaults, the README's example verbatim. The Node
  // types come with the package (@types/node is a dependency: the API extends EventEmitter).
  execFileSync(process.execPath, [TSC, '--init'], { cwd: app, stdio: 'ignore' });
  writeFileSync(join(app, 'index.ts'), readmeEmbeddingExample());
  try {
    execFileSync(process.execPath, [TSC, '-p', '.', '--noEmit'], { cwd: app, encoding: 'utf8' });
  } catch (err) {
    assert.fail(`the README example does not compile:\n${(err as { stdout: string }).stdout}`);
  }
  // And it fails when it should: a wrong option name is a type error.
  writeFileSync(
    join(app, 'index.ts'),
    `${readmeEmbeddingExample()}\ncreatePorthole({ confg: 1 });\n`,
  );
  assert.throws(
    () => execFileSync(process.execPath, [TSC, '-p', '.', '--noEmit'], { cwd: app, stdio: 'pipe' }),
    'the types are real: a misspelt option does not compile',
  );
});
