/**
 * Line mode against hosts that echo (issue 11), in real Chromium: the built-in demo (WILL ECHO
 * for the whole session) keeps a plain input line and shows each command once; BusyBox telnetd
 * masks the line only at a real password prompt.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { startBackend } from '../helpers/backends.ts';
import { startBusyboxTelnetd, startInetutilsTelnetd } from '../helpers/telnet-servers.ts';
import { onLines } from './backends.ts';
import { e2eSuite, screenshot, screenText, waitForScreen, waitForState } from './helpers.ts';

/** Each line the line-mode MUD received, with when it arrived. */
const lines: { text: string; at: number }[] = [];

const suite = e2eSuite(async (keep) => {
  const busybox = keep(await startBusyboxTelnetd());
  const inetutils = keep(await startInetutilsTelnetd());
  const mud = keep(
    await startBackend((socket) => {
      socket.write('Welcome\r\n> ');
      onLines(socket, (text) => {
        lines.push({ text, at: Date.now() });
        socket.write(`ok ${text}\r\n> `);
      });
    }),
  );
  return {
    hosts: [
      { id: 'demo', name: 'Porthole demo', target: 'builtin:demo', input: 'line' },
      { id: 'bb', name: 'BusyBox', target: busybox.target, input: 'line' },
      { id: 'gnu', name: 'inetutils', target: inetutils.target, input: 'line' },
      {
        id: 'mud',
        name: 'MUD',
        target: `telnet://127.0.0.1:${mud.port}`,
        input: 'line',
        noHistory: ['^login\\s'],
      },
    ],
  };
});

const count = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

async function send(page: Page, line: string): Promise<void> {
  await page.locator('#line-input').fill(line);
  await page.locator('#line-input').press('Enter');
}

test('the demo in line mode: a plain input line, each command shown once, history kept', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=demo`);
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

for (const [id, name] of [
  ['bb', 'BusyBox'],
  ['gnu', 'GNU inetutils'],
] as const) {
  test(`${name} telnetd in line mode: masked only at the password prompt, never stored`, async () => {
    const page = await suite.browser.context.newPage();
    await page.goto(`${suite.server.url}/?host=${id}`);
    await waitForState(page, 'connected');
    await waitForScreen(page, /^[#$]$/m, 10_000);
    const input = page.locator('#line-input');
    assert.equal(
      await input.getAttribute('type'),
      'text',
      'a shell prompt is not a password prompt',
    );
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
    const stored = await page.evaluate((h) => localStorage.getItem(`porthole.history.${h}`), id);
    assert.ok(stored !== null && !stored.includes('hunter2'), stored ?? 'null');
    assert.ok(stored.includes('ready-'), 'ordinary commands are kept');
    await page.close();
  });
}

test('a paste of 200 lines in line mode asks first, then arrives as 200 paced commands', async () => {
  await suite.browser.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=mud`);
  await waitForScreen(page, 'Welcome');
  const text = Array.from({ length: 200 }, (_, i) => `say line ${i + 1}`).join('\n');
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  const dialogs: string[] = [];
  let accept = false;
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void (accept ? d.accept() : d.dismiss());
  });
  const input = page.locator('#line-input');
  await input.focus();
  await page.keyboard.press('Control+V');
  await page.waitForTimeout(500);
  assert.deepEqual(dialogs, ['Send 200 lines?']);
  assert.equal(lines.length, 0, 'declined: nothing sent');
  accept = true;
  await page.keyboard.press('Control+V');
  const deadline = Date.now() + 30_000;
  while (lines.length < 200 && Date.now() < deadline) await page.waitForTimeout(100);
  assert.deepEqual(
    lines.map((l) => l.text),
    Array.from({ length: 200 }, (_, i) => `say line ${i + 1}`),
    'each line its own command, in order, none merged or cut',
  );
  // Paced: timers never fire early, so 199 gaps of 50 ms take at least ~10 s.
  const span = (lines.at(-1)?.at ?? 0) - (lines[0]?.at ?? 0);
  assert.ok(span >= 199 * 50 - 500, `sent over ${span} ms`);
  await waitForScreen(page, 'ok say line 200');
  assert.equal(await input.inputValue(), '');
  const stored = await page.evaluate(() => localStorage.getItem('porthole.history.mud'));
  assert.ok(stored === null || !stored.includes('say line'), 'pasted lines stay out of history');
  // Esc stops a paste under way.
  lines.length = 0;
  await page.evaluate(() => navigator.clipboard.writeText('a\nb\nc\nd\ne\nf\ng\nh'));
  await page.keyboard.press('Control+V');
  await page.waitForTimeout(120);
  await page.keyboard.press('Escape');
  await page.waitForTimeout(500);
  assert.ok(lines.length >= 1 && lines.length < 8, `stopped after ${lines.length}`);
  assert.match((await input.getAttribute('placeholder')) ?? '', /lines not sent/);
  await page.close();
});

test('logins with a password stay out of history: MUSH connect/create and the host’s own pattern', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=mud`);
  await waitForScreen(page, 'Welcome');
  for (const line of ['connect Gandalf mellon', 'login frodo ring', 'look']) {
    await send(page, line);
    await waitForScreen(page, `ok ${line}`);
  }
  const input = page.locator('#line-input');
  await input.press('ArrowUp');
  assert.equal(await input.inputValue(), 'look');
  await input.press('ArrowUp');
  assert.equal(await input.inputValue(), 'look', 'nothing older: the logins were not kept');
  const stored = await page.evaluate(() => localStorage.getItem('porthole.history.mud'));
  assert.ok(stored !== null, 'the history was stored');
  assert.ok(stored.includes('look'), stored);
  assert.ok(!stored.includes('mellon') && !stored.includes('ring'), stored);
  await page.close();
});

test('a line-mode host switched to raw: typed keys are shown while it does not echo', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=mud`);
  await waitForScreen(page, 'Welcome');
  await page.locator('#btn-mode').click();
  await page.locator('#line-input').waitFor({ state: 'hidden' });
  await page.locator('#terminal').click();
  await page.keyboard.type('say hix');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Enter');
  const screen = await waitForScreen(page, 'ok say hi');
  assert.match(screen, /^> say hi$/m, 'shown once, as typed, with the rubbed-out x gone');
  // The setting can turn it off.
  await page.evaluate(() => {
    const s = JSON.parse(localStorage.getItem('porthole.settings') ?? '{}');
    localStorage.setItem('porthole.settings', JSON.stringify({ ...s, localEcho: 'off' }));
  });
  await page.reload();
  await waitForScreen(page, 'Welcome');
  await page.locator('#terminal').click();
  await page.keyboard.type('blind');
  await page.keyboard.press('Enter');
  const after = await waitForScreen(page, 'ok blind');
  assert.doesNotMatch(after, /^> blind$/m);
  await page.locator('#btn-mode').click(); // back to line mode for the other tests
  await page.close();
});
