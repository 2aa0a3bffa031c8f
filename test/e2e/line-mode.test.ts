/**
 * Line mode against hosts that echo (issue 11), in real Chromium: the built-in demo (WILL ECHO
 * for the whole session) keeps a plain input line and shows each command once; BusyBox telnetd
 * masks the line only at a real password prompt.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startBusyboxTelnetd, type TelnetServer } from '../helpers/telnet-servers.ts';
import {
  launchBrowser,
  screenshot,
  screenText,
  startServer,
  type TestBrowser,
  type TestServer,
  waitForScreen,
  waitForState,
} from './helpers.ts';

let server: TestServer;
let browser: TestBrowser;
let busybox: TelnetServer;

before(async () => {
  busybox = await startBusyboxTelnetd();
  server = await startServer({
    hosts: [
      { id: 'demo', name: 'Porthole demo', target: 'builtin:demo', input: 'line' },
      { id: 'bb', name: 'BusyBox', target: busybox.target, input: 'line' },
    ],
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await busybox?.close();
});

const count = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

async function send(page: Page, line: string): Promise<void> {
  await page.locator('#line-input').fill(line);
  await page.locator('#line-input').press('Enter');
}

test('the demo in line mode: a plain input line, each command shown once, history kept', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/?host=demo`);
  await waitForScreen(page, 'Welcome to the Porthole demo host');
  await page.waitForTimeout(500);
  const input = page.locator('#line-input');
  assert.equal(await input.getAttribute('type'), 'text', 'not a password box');
  assert.equal(await page.locator('#input-badge').isVisible(), false);
  await send(page, 'hello there');
  await waitForScreen(page, /hello there[\s\S]*hello there/);
  await send(page, 'help');
  const screen = await waitForScreen(page, 'Commands: help');
  // The demo echoes the line, then answers with it: two "hello there", not three.
  assert.equal(count(screen, 'hello there'), 2, screen);
  assert.equal(await input.getAttribute('type'), 'text');
  await input.press('ArrowUp');
  assert.equal(await input.inputValue(), 'help');
  await input.press('ArrowUp');
  assert.equal(await input.inputValue(), 'hello there');
  await input.fill('');
  await screenshot(page, 'demo-line-mode');
  await page.close();
});

test('BusyBox telnetd in line mode: masked only at the password prompt, never stored', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/?host=bb`);
  await waitForState(page, 'connected');
  await waitForScreen(page, /^[#$]$/m, 10_000);
  const input = page.locator('#line-input');
  assert.equal(await input.getAttribute('type'), 'text', 'a shell prompt is not a password prompt');
  await send(page, 'echo ready-$((6*7))');
  const shown = await waitForScreen(page, 'ready-42');
  assert.equal(count(shown, 'echo ready-$((6*7))'), 1, 'the shell echoes; the client does not');
  await send(
    page,
    // `&&`, not `;`: the MUD client splits lines at `;` (n;e;s).
    "stty -echo && printf 'Password: ' && read pw && stty echo && echo && echo got-$pw",
  );
  await waitForScreen(page, 'Password:');
  await page.locator('#line-input[type="password"]').waitFor({ timeout: 5000 });
  assert.equal(await page.locator('#input-badge').isVisible(), true);
  await page.keyboard.type('hunter2');
  await page.keyboard.press('Enter');
  await waitForScreen(page, 'got-hunter2');
  await page.locator('#line-input[type="text"]').waitFor({ timeout: 5000 });
  const screen = await screenText(page);
  assert.equal(count(screen, 'hunter2'), 1, 'only the shell’s own line shows it');
  const stored = await page.evaluate(() => localStorage.getItem('porthole.history.bb'));
  assert.ok(stored !== null && !stored.includes('hunter2'), stored ?? 'null');
  assert.ok(stored.includes('ready-'), 'ordinary commands are kept');
  await page.close();
});
