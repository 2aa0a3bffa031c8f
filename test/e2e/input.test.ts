/**
 * Typing: raw keystrokes, MUD line mode with history, password masking when the host takes
 * over echo (IAC WILL ECHO), switching modes, and a window resize that reaches the host as NAWS.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { type FakeBackend, startBackend } from '../helpers/backends.ts';
import { loginMud, type NawsBackend, nawsRecorder } from './backends.ts';
import { e2eSuite, screenText, waitForScreen, waitForState } from './helpers.ts';

let recorder: FakeBackend;
let mud: FakeBackend;
let naws: NawsBackend;
let flood: FakeBackend;
const FLOOD_BYTES = 4 * 1024 * 1024;

const suite = e2eSuite(async (keep) => {
  [recorder, mud, naws, flood] = await Promise.all([
    startBackend((s) => s.write('recorder ready\r\n')),
    loginMud(),
    nawsRecorder(),
    startBackend((s) => {
      const line = Buffer.from('flood flood flood flood flood flood flood flood flood flood\r\n');
      s.write(Buffer.concat(Array(Math.ceil(FLOOD_BYTES / line.length)).fill(line)));
      s.write('FLOOD-DONE\r\n');
    }),
  ]);
  for (const b of [recorder, mud, naws, flood]) keep(b);
  return {
    hosts: [
      { id: 'rec', name: 'Recorder', target: recorder.target, input: 'raw' },
      { id: 'mud', name: 'TestMUD', target: `telnet://127.0.0.1:${mud.port}`, input: 'line' },
      { id: 'naws', name: 'NAWS', target: `telnet://127.0.0.1:${naws.port}`, input: 'raw' },
      { id: 'flood', name: 'Flood', target: flood.target, input: 'raw' },
    ],
  };
});

async function until(
  check: () => boolean,
  what: string,
  page: Page,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(25);
  }
}

test('raw mode: keystrokes, Enter, Ctrl+C and arrows reach the host as bytes', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=rec`);
  await waitForState(page, 'connected');
  await waitForScreen(page, 'recorder ready');
  assert.equal(await page.locator('#input-line').isHidden(), true, 'no input line in raw mode');
  await page.keyboard.type('ls -l');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+c');
  await page.keyboard.press('ArrowUp');
  await until(() => recorder.receivedText().includes('\x1b[A'), 'the arrow key', page);
  // The raw codec turns Enter (CR) into the host's newline, CR LF by default.
  assert.equal(recorder.receivedText(), 'ls -l\r\n\x03\x1b[A');
  await page.close();
});

test('switching to line mode is remembered for the host', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=rec`);
  await waitForState(page, 'connected');
  const before = recorder.receivedText().length;
  await page.locator('#btn-mode').click();
  await page.locator('#line-input').waitFor();
  assert.equal(
    await page.locator('#line-input').evaluate((el) => el === document.activeElement),
    true,
  );
  await page.keyboard.type('say hi');
  await page.keyboard.press('Enter');
  await until(() => recorder.receivedText().slice(before).includes('say hi\r\n'), 'the line', page);
  // Keys typed while the terminal has focus land in the input line, not on the wire.
  await page.locator('#terminal').click();
  await page.keyboard.type('xyz');
  assert.equal(await page.locator('#line-input').inputValue(), 'xyz');
  assert.equal(recorder.receivedText().includes('xyz'), false);
  await page.locator('#line-input').fill('');
  await page.reload();
  await waitForState(page, 'connected');
  assert.equal(await page.locator('#line-input').isVisible(), true, 'line mode after a reload');
  assert.equal(await page.locator('#btn-mode').textContent(), 'Line mode');
  await page.locator('#btn-mode').click();
  await page.close();
});

test('line mode: the password is masked while the host echoes, and never enters history', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=mud`);
  await waitForScreen(page, 'What is your name?');
  const input = page.locator('#line-input');
  assert.equal(await input.getAttribute('type'), 'text');
  await input.fill('Gandalf');
  await input.press('Enter');
  await waitForScreen(page, 'Password:');
  await page.locator('#line-input[type="password"]').waitFor({ timeout: 3000 });
  assert.equal(await page.locator('#input-badge').isVisible(), true);
  await page.keyboard.type('mellon');
  await input.press('Enter');
  await waitForScreen(page, 'Welcome back, Gandalf.');
  await page.locator('#line-input[type="text"]').waitFor({ timeout: 3000 });
  for (const cmd of ['look', 'north']) {
    await input.fill(cmd);
    await input.press('Enter');
    await waitForScreen(page, `You said: ${cmd}`);
  }
  const screen = await screenText(page);
  assert.ok(screen.includes('> look'), 'sent lines are shown after the prompt');
  assert.ok(!screen.includes('mellon'), 'the password is never shown');
  assert.ok(mud.receivedText().includes('mellon\r\n'), 'but it did reach the host');
  const recall: string[] = [];
  for (let i = 0; i < 4; i++) {
    await input.press('ArrowUp');
    recall.push(await input.inputValue());
  }
  assert.deepEqual(recall, ['north', 'look', 'Gandalf', 'Gandalf']);
  await input.press('ArrowDown');
  assert.equal(await input.inputValue(), 'look');
  const stored = await page.evaluate(() => localStorage.getItem('porthole.history.mud'));
  assert.deepEqual(JSON.parse(stored ?? 'null'), ['Gandalf', 'look', 'north']);
  await page.reload();
  await waitForScreen(page, 'What is your name?');
  await input.press('ArrowUp');
  assert.equal(await input.inputValue(), 'north', 'history persists per host');
  await page.close();
});

test('a window resize reaches the telnet host as NAWS', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=naws`);
  await waitForState(page, 'connected');
  await until(() => naws.sizes.length > 0, 'the first NAWS', page);
  const first = naws.sizes.at(-1);
  assert.ok(first !== undefined && first.cols > 80 && first.rows > 20, JSON.stringify(first));
  await page.setViewportSize({ width: 700, height: 500 });
  await until(
    () =>
      (naws.sizes.at(-1)?.cols ?? 0) < first.cols && (naws.sizes.at(-1)?.rows ?? 0) < first.rows,
    'a smaller NAWS',
    page,
  );
  const last = naws.sizes.at(-1);
  assert.ok(last !== undefined && last.cols >= 60 && last.cols <= 80, JSON.stringify(last));
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.close();
});

test('4 MiB of output arrives in full: acks keep the server’s 512 KiB window moving', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=flood`);
  // Without acknowledgements the server stops reading the host after 512 KiB.
  await waitForScreen(page, 'FLOOD-DONE', 20_000);
  await page.waitForFunction(
    () => /↓ 4\.\d MB/.test(document.querySelector('#status-bytes')?.textContent ?? ''),
    undefined,
    { timeout: 3000 },
  );
  await page.close();
});
