/**
 * Issue 4's end-to-end promise, functionally (speed is for `npm run bench:browser`): while a
 * backend floods the real client, the server holds no more than its window, the page's
 * memory stays bounded, and a keystroke still gets through to the backend.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FakeBackend, floodBackend } from '../helpers/backends.ts';
import { e2eSuite, waitForState } from './helpers.ts';

let flood: FakeBackend;

const suite = e2eSuite(async (keep) => {
  const line = Buffer.from(`${'\x1b[1;32mflood\x1b[0m '.repeat(8)}\r\n`.repeat(512));
  flood = keep(await floodBackend(line));
  return { hosts: [{ id: 'flood', name: 'Flood', target: flood.target, input: 'raw' }] };
});

test('a flooding backend: bounded server buffers and page heap, and keystrokes still get through', async () => {
  const page = await suite.browser.context.newPage();
  const cdp = await suite.browser.context.newCDPSession(page);
  await page.goto(`${suite.server.url}/?host=flood`);
  await waitForState(page, 'connected', 10_000);
  await page.locator('.xterm-helper-textarea').focus();
  let maxBuffered = 0;
  const deadline = Date.now() + 6000;
  while (Date.now() < deadline) {
    maxBuffered = Math.max(maxBuffered, suite.server.porthole.sessions.bufferedBytes());
    await page.waitForTimeout(100);
  }
  await page.keyboard.type('q');
  const typedBy = Date.now() + 5000;
  while (!flood.receivedText().includes('q') && Date.now() < typedBy) await page.waitForTimeout(50);
  assert.ok(
    flood.receivedText().includes('q'),
    'the keystroke reached the backend during the flood',
  );
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = (await cdp.send('Runtime.getHeapUsage')) as {
    usedSize: number;
    backingStorageSize?: number;
  };
  const pageBytes = heap.usedSize + (heap.backingStorageSize ?? 0);
  assert.ok(pageBytes < 64 * 1024 * 1024, `page heap + buffers ${pageBytes} bytes`);
  assert.ok(maxBuffered <= 4 * 1024 * 1024, `server held ${maxBuffered} bytes for the session`);
  assert.equal(await page.locator('#app').getAttribute('data-state'), 'connected');
  await page.close();
});
