/**
 * Issue 9 concern: 50 000 title changes (OSC 2) used to set document.title 50 000 times and
 * freeze the page. The tab now follows the host's title at most every 100 ms: counted, not
 * timed (a document.title setter that counts is installed before the page runs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FakeBackend, startBackend } from '../helpers/backends.ts';
import { e2eSuite, screenshot, waitForScreen, waitForState } from './helpers.ts';

const TITLES = 50_000;
let flood: FakeBackend;

const suite = e2eSuite(async (keep) => {
  const payload = Array.from({ length: TITLES }, (_, i) => `\x1b]2;T-${i}\x07`).join('');
  flood = keep(await startBackend((s) => s.write(`${payload}TITLE-DONE\r\n`)));
  return { hosts: [{ id: 'titles', name: 'Titles', target: flood.target, input: 'raw' }] };
});

test('50 000 title changes set the tab title a handful of times and end on the last one', async () => {
  const page = await suite.browser.context.newPage();
  await page.addInitScript(() => {
    const native = Object.getOwnPropertyDescriptor(Document.prototype, 'title');
    let sets = 0;
    Object.defineProperty(Document.prototype, 'title', {
      configurable: true,
      get() {
        return native?.get?.call(this);
      },
      set(v: string) {
        sets++;
        native?.set?.call(this, v);
      },
    });
    (window as unknown as { titleSets: () => number }).titleSets = () => sets;
  });
  await page.goto(`${suite.server.url}/?host=titles`);
  await waitForState(page, 'connected');
  await waitForScreen(page, 'TITLE-DONE', 30_000);
  await page.waitForFunction((t) => document.title === t, `T-${TITLES - 1} · Titles`);
  const sets = await page.evaluate(() =>
    (window as unknown as { titleSets: () => number }).titleSets(),
  );
  assert.ok(sets < 500, `document.title was set ${sets} times for ${TITLES} host titles`);
  await screenshot(page, 'title-flood');
  await page.close();
});
