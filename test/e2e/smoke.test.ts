/** Issue 2's end-to-end path: open the page, pick the demo host, see the banner, type, see the echo. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { e2eSuite, screenshot, waitForScreen, waitForState } from './helpers.ts';

const suite = e2eSuite();

test('picks the demo host, sees the banner, types and sees the echo', async () => {
  const page = await suite.browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.goto(suite.server.url);
  const option = page.getByRole('option', { name: /Porthole demo/ });
  await option.waitFor();
  await screenshot(page, 'picker');
  await option.click();
  await waitForState(page, 'connected');
  await waitForScreen(page, 'Welcome to the Porthole demo host');
  assert.match(page.url(), /[?&]host=demo\b/);
  await page.keyboard.type('hello');
  await page.keyboard.press('Enter');
  await waitForScreen(page, 'You typed: hello');
  await screenshot(page, 'session');
  assert.deepEqual(errors, []);
  await page.close();
});

test('renderer, search, copy on select, settings and screen reader mode', async () => {
  const page = await suite.browser.context.newPage();
  await suite.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: suite.server.url,
  });
  await page.goto(`${suite.server.url}/?host=demo`);
  await waitForScreen(page, 'Type something');
  // Headless Chromium has only software GL (SwiftShader): the DOM renderer is faster there.
  assert.equal(await page.locator('#terminal').getAttribute('data-renderer'), 'dom');

  await page.keyboard.press('Control+Shift+F');
  const search = page.locator('#search-input');
  assert.equal(await search.evaluate((el) => el === document.activeElement), true);
  await search.fill('colours');
  await search.press('Enter');
  assert.equal(await page.locator('#search-result').textContent(), '');
  await search.fill('no such text anywhere');
  await search.press('Enter');
  assert.equal(await page.locator('#search-result').textContent(), 'No matches');
  await search.press('Escape');
  assert.equal(await page.locator('#search-bar').isHidden(), true);

  await page.evaluate(() => navigator.clipboard.writeText('before'));
  const box = await page.locator('#terminal').boundingBox();
  assert.ok(box);
  // Drag across the start of the banner line ("Welcome to the Porthole demo host").
  const row = await page.evaluate(() => {
    const rows = [...document.querySelectorAll('.xterm-rows > div')];
    const r = rows.find((x) => x.textContent?.includes('Welcome'))?.getBoundingClientRect();
    return r === undefined ? undefined : { y: r.top + r.height / 2, x: r.left };
  });
  assert.ok(row);
  const cell = box.width / 138;
  await page.mouse.move(row.x + 2, row.y);
  await page.mouse.down();
  await page.mouse.move(row.x + 60 * cell, row.y, { steps: 5 });
  await page.mouse.up();
  await page.waitForTimeout(400);
  assert.match(await page.evaluate(() => navigator.clipboard.readText()), /Welcome to the/);

  await page.locator('#btn-settings').click();
  await page.locator('#settings-dialog[open]').waitFor();
  await screenshot(page, 'settings');
  await page.locator('#set-theme').selectOption('light');
  await page.locator('#font-larger').click();
  await page.locator('#set-screen-reader').check();
  await page.getByRole('button', { name: 'Done' }).click();
  assert.equal(await page.locator('html').getAttribute('data-theme'), 'light');
  await page.locator('.xterm-accessibility').waitFor({ state: 'attached' });
  await page.reload();
  await waitForScreen(page, 'Type something');
  assert.equal(await page.locator('html').getAttribute('data-theme'), 'light', 'persisted');
  const stored = await page.evaluate(() =>
    JSON.parse(localStorage.getItem('porthole.settings') ?? '{}'),
  );
  assert.equal(stored.fontSize, 16);
  assert.equal(stored.screenReader, true);
  await screenshot(page, 'session-light');
  await page.evaluate(() => localStorage.removeItem('porthole.settings'));
  await page.close();
});
