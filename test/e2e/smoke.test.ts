/** Issue 2's end-to-end path: open the page, pick the demo host, see the banner, type, see the echo. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  launchBrowser,
  screenshot,
  startServer,
  type TestBrowser,
  type TestServer,
  waitForScreen,
  waitForState,
} from './helpers.ts';

let server: TestServer;
let browser: TestBrowser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('picks the demo host, sees the banner, types and sees the echo', async () => {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.goto(server.url);
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
