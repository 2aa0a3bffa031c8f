/**
 * websockify drop-in, for real: Debian's noVNC in Chromium, served by
 * `porthole --web /usr/share/novnc PORT 127.0.0.1:VNCPORT` (the real command line), talking to
 * TigerVNC's Xvnc started here on a free display. An `xev` window on that display reports
 * what reached the X server. noVNC connects with its defaults (path `websockify`, no
 * subprotocol, no token), a mouse drag with the button held lasts 3 s, then fast typing;
 * nothing is closed and every key and the drag arrive.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { PACKAGE_ROOT } from '../../server/paths.ts';
import { launchBrowser, screenshot } from './helpers.ts';

const NOVNC = '/usr/share/novnc';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A display number with no X server (lock file or socket) on it. */
function freeDisplay(): number {
  for (let n = 40 + Math.floor(Math.random() * 400); n < 1000; n++) {
    if (!existsSync(`/tmp/.X${n}-lock`) && !existsSync(`/tmp/.X11-unix/X${n}`)) return n;
  }
  throw new Error('no free X display');
}

interface Child {
  proc: ChildProcess;
  output: () => string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Child {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return { proc, output: () => out };
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stop(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.proc.once('exit', () => r()));
  child.proc.kill('SIGTERM');
  return exited;
}

test('noVNC in Chromium through `porthole --web DIR PORT HOST:VNCPORT`: drag 3 s and fast typing close nothing', async (t) => {
  assert.ok(existsSync(join(NOVNC, 'vnc.html')), 'Debian novnc is installed');
  const display = freeDisplay();
  const vncPort = await freePort();
  const xvnc = run('Xvnc', [
    `:${display}`,
    '-rfbport',
    String(vncPort),
    '-localhost',
    '-SecurityTypes',
    'None',
    '-geometry',
    '1024x768',
    '-depth',
    '24',
  ]);
  t.after(() => stop(xvnc));
  await until('Xvnc', () => xvnc.output().includes('created VNC server'));
  // xev prints every event its window gets: the proof of what reached the X server.
  const xev = run(
    'xev',
    ['-geometry', '900x600+40+40', '-event', 'keyboard', '-event', 'button', '-event', 'mouse'],
    {
      ...process.env,
      DISPLAY: `:${display}`,
    },
  );
  t.after(() => stop(xev));
  await until('xev window', () => xev.output().includes('MapNotify') || xev.output().length > 0);

  const port = await freePort();
  const porthole = run(process.execPath, [
    '--import',
    'tsx',
    join(PACKAGE_ROOT, 'server', 'main.ts'),
    '--web',
    NOVNC,
    String(port),
    `127.0.0.1:${vncPort}`,
  ]);
  t.after(() => stop(porthole));
  await until('porthole', () => porthole.output().includes('Porthole is running'));

  const browser = await launchBrowser({ viewport: { width: 1100, height: 850 } });
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  // noVNC's defaults: host and port of the page, path `websockify`, no subprotocol.
  await page.goto(`http://127.0.0.1:${port}/vnc.html?autoconnect=true&resize=off`);
  await page.locator('html.noVNC_connected').waitFor({ state: 'attached', timeout: 15_000 });
  assert.match(porthole.output(), /"event":"session.open"[^\n]*"mode":"binary"/);

  const canvas = page.locator('#noVNC_container canvas');
  const box = await canvas.boundingBox();
  assert.ok(box !== null, 'noVNC draws the remote screen');
  // Into the xev window (at +40+40 on the remote screen, drawn 1:1).
  const x0 = box.x + 200;
  const y0 = box.y + 200;
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  const dragUntil = Date.now() + 3000;
  let step = 0;
  while (Date.now() < dragUntil) {
    step++;
    await page.mouse.move(x0 + ((step * 7) % 500), y0 + ((step * 3) % 300));
  }
  await page.mouse.up();

  const typed = 'thequickbrownfoxjumpsoverthelazydog'.repeat(6);
  await page.keyboard.type(typed, { delay: 0 });

  // xev prints one block per event, blocks separated by a blank line.
  const events = (kind: string): string[] =>
    xev
      .output()
      .split('\n\n')
      .map((b) => b.trim())
      .filter((b) => b.startsWith(`${kind} event`));
  await until(
    `${typed.length} key presses at the X server`,
    () => events('KeyPress').length >= typed.length,
  );
  const dragMotions = events('MotionNotify').filter((b) => /state 0x100,/.test(b)).length;
  assert.ok(
    dragMotions > 50,
    `the drag reached the X server (${dragMotions} motions, button 1 held)`,
  );
  assert.equal(events('ButtonRelease').length, 1, 'the button came up once');
  // The keys arrive in order: the keysym names spell what was typed.
  const letters = events('KeyPress')
    .map((b) => /keysym 0x[0-9a-f]+, (\w+)\)/.exec(b)?.[1] ?? '?')
    .join('');
  assert.equal(letters, typed);

  await screenshot(page, 'novnc-xvnc');
  assert.equal(await page.locator('html.noVNC_connected').count(), 1, 'noVNC is still connected');
  assert.doesNotMatch(porthole.output(), /"event":"session.close"/, 'Porthole closed nothing');
  assert.equal(xvnc.proc.exitCode, null);
});
