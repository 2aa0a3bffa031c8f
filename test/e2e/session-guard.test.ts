/**
 * Issue 11 in real Chromium: one NAWS at connect, focus back in the session after Settings,
 * and a live session is not left by accident (the logo, Back, closing the tab).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { type FakeBackend, startBackend } from '../helpers/backends.ts';
import { type NawsBackend, nawsRecorder } from './backends.ts';
import { e2eSuite, waitForScreen, waitForState } from './helpers.ts';

let nawsRaw: NawsBackend;
let nawsLine: NawsBackend;
let recorder: FakeBackend;

const suite = e2eSuite(async (keep) => {
  [nawsRaw, nawsLine, recorder] = await Promise.all([
    nawsRecorder(),
    nawsRecorder(),
    startBackend((s) => s.write('recorder ready\r\n')),
  ]);
  for (const b of [nawsRaw, nawsLine, recorder]) keep(b);
  return {
    hosts: [
      { id: 'naws', name: 'NAWS', target: `telnet://127.0.0.1:${nawsRaw.port}`, input: 'raw' },
      {
        id: 'naws-line',
        name: 'NAWS line',
        target: `telnet://127.0.0.1:${nawsLine.port}`,
        input: 'line',
      },
      { id: 'rec', name: 'Recorder', target: recorder.target, input: 'raw' },
      { id: 'line', name: 'Line', target: recorder.target, input: 'line' },
    ],
  };
});

const received = (): string => Buffer.concat(recorder.received.flat()).toString('latin1');

async function until(check: () => boolean, what: string, page: Page, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(25);
  }
}

for (const [id, backend, how] of [
  ['naws', () => nawsRaw, 'from the picker'],
  ['naws-line', () => nawsLine, 'by deep link to a line-mode host'],
] as const) {
  test(`one NAWS at connect (${how}), with the terminal's final size`, async () => {
    const page = await suite.browser.context.newPage();
    if (how === 'from the picker') {
      await page.goto(suite.server.url);
      await page
        .getByRole('option', { name: /^NAWS\b/ })
        .first()
        .click();
    } else await page.goto(`${suite.server.url}/?host=${id}`);
    await waitForState(page, 'connected');
    await until(() => backend().sizes.length > 0, 'the first NAWS', page);
    // Anything still settling (the input line appearing, a late fit) would show up by now.
    await page.waitForTimeout(1500);
    const size = await page.evaluate(() => {
      const rows = document.querySelectorAll('.xterm-rows > div').length;
      return rows;
    });
    assert.equal(backend().sizes.length, 1, JSON.stringify(backend().sizes));
    assert.equal(backend().sizes[0]?.rows, size, 'the size sent is the size shown');
    await page.close();
  });
}

test('closing Settings puts focus back in the session (input line, then terminal)', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=line`);
  await waitForState(page, 'connected');
  await page.locator('#btn-settings').click();
  await page.locator('#settings-dialog[open]').waitFor();
  await page.keyboard.press('Escape');
  await page.locator('#settings-dialog').waitFor({ state: 'hidden' });
  assert.equal(
    await page.evaluate(() => document.activeElement?.id),
    'line-input',
    'focus is in the input line',
  );
  await page.keyboard.type('after settings');
  await page.keyboard.press('Enter');
  await until(() => received().includes('after settings\r\n'), 'the line', page);
  assert.equal(await page.locator('#settings-dialog[open]').count(), 0, 'Enter did not reopen it');
  await page.goto(`${suite.server.url}/?host=rec`);
  await waitForScreen(page, 'recorder ready');
  await page.locator('#btn-settings').click();
  await page.locator('#settings-dialog[open]').waitFor();
  await page.locator('#settings-dialog button[value="close"]').click();
  await page.locator('#settings-dialog').waitFor({ state: 'hidden' });
  await page.keyboard.type('xyz');
  await until(() => received().includes('xyz'), 'keys typed after closing Settings', page);
  await page.close();
});

test('leaving a live session asks first: the logo, Back, and closing the tab', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(suite.server.url);
  await page.getByRole('option', { name: /Recorder/ }).click();
  await waitForScreen(page, 'recorder ready');
  await page.keyboard.type('x'); // a user gesture: browsers only ask before unload after one
  const dialogs: string[] = [];
  let answer = false;
  page.on('dialog', (d) => {
    dialogs.push(d.type());
    void (answer ? d.accept() : d.dismiss());
  });
  await page.locator('#brand-link').click();
  await page.waitForTimeout(200);
  assert.deepEqual(dialogs, ['confirm'], 'the logo asks');
  assert.equal(await page.locator('#app[data-view="session"]').count(), 1, 'and stays');
  await page.goBack();
  await page.waitForTimeout(300);
  assert.equal(dialogs.length, 2, 'Back asks');
  assert.equal(await page.locator('#app[data-view="session"]').count(), 1, 'still in the session');
  assert.match(page.url(), /host=rec|\/h\/rec/, 'and the address is the session again');
  await waitForState(page, 'connected');
  // Closing the tab (Ctrl+W, the window's close button): the browser's own "Leave site?".
  await page.close({ runBeforeUnload: true });
  await until(() => dialogs.length === 3, 'the beforeunload dialog', page).catch(() => undefined);
  assert.equal(dialogs[2], 'beforeunload');
  assert.equal(page.isClosed(), false, 'the tab stayed open');
  answer = true;
  await page.locator('#brand-link').click();
  await page.locator('#app[data-view="picker"]').waitFor();
  assert.equal(dialogs.length, 4, 'leaving when the user says so');
  // No session: leaving needs no question.
  const closed = new Promise((resolve) => page.once('close', resolve));
  await page.close({ runBeforeUnload: true });
  await closed;
  assert.equal(dialogs.length, 4, 'the tab closed without a question');
  assert.ok(received().length > 0);
});

test('raw mode: Ctrl+W/T/N reach the shell; full screen takes them from the browser (Keyboard Lock)', async () => {
  const page = await suite.browser.context.newPage();
  // Record what the page asks of the Keyboard Lock API (headless has no browser keys to take).
  await page.addInitScript(() => {
    const calls: string[] = [];
    Object.assign(window, { lockCalls: calls });
    const proto = Object.getPrototypeOf(
      (navigator as unknown as { keyboard: object }).keyboard,
    ) as { lock: unknown; unlock: unknown };
    proto.lock = (codes?: string[]) => {
      calls.push(`lock ${String(codes)}`);
      return Promise.resolve();
    };
    proto.unlock = () => calls.push('unlock');
  });
  await page.goto(`${suite.server.url}/?host=rec`);
  await waitForScreen(page, 'recorder ready');
  const before = received().length;
  await page.locator('#terminal').click();
  for (const key of ['Control+w', 'Control+t', 'Control+n']) await page.keyboard.press(key);
  await until(() => received().slice(before).includes('\x0e'), 'Ctrl+N', page);
  assert.equal(received().slice(before), '\x17\x14\x0e');
  await page.locator('#btn-fullscreen').click();
  await page.waitForFunction(() => document.fullscreenElement !== null);
  const calls = (): Promise<string[]> =>
    page.evaluate(() => (window as unknown as { lockCalls: string[] }).lockCalls);
  // The lock follows mode and full screen as their events arrive: wait for each change.
  const lastCall = (want: string): Promise<unknown> =>
    page.waitForFunction(
      (w) => (window as unknown as { lockCalls: string[] }).lockCalls.at(-1) === w,
      want,
      { timeout: 5000 },
    );
  await lastCall('lock KeyW,KeyT,KeyN');
  assert.deepEqual(await calls(), ['lock KeyW,KeyT,KeyN']);
  assert.equal(await page.locator('#btn-fullscreen').getAttribute('aria-pressed'), 'true');
  await page.locator('#btn-mode').click(); // line mode: the input line, not a shell
  await lastCall('unlock');
  await page.locator('#btn-mode').click();
  await lastCall('lock KeyW,KeyT,KeyN');
  await page.locator('#btn-fullscreen').click();
  await page.waitForFunction(() => document.fullscreenElement === null);
  await lastCall('unlock');
  assert.deepEqual((await calls()).at(-1), 'unlock');
  await page.close();
});
