/**
 * `basePath`: the client mounted under a prefix, as an app that embeds Porthole would. The
 * page, its assets, the lazily loaded chunks, /api and the WebSocket all live under
 * /terminal/; deep links /terminal/h/ID work; nothing is served at the root.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CONFIG_INPUT } from '../../server/config/config.ts';
import { e2eSuite, screenshot, waitForScreen, waitForState } from './helpers.ts';

const suite = e2eSuite(() => ({ ...DEFAULT_CONFIG_INPUT, basePath: '/terminal' }));

test('basePath /terminal/: picker, session and deep link under the prefix; the root has nothing', async () => {
  const page = await suite.browser.context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await page.goto(`${suite.server.url}/terminal/`);
  const option = page.getByRole('option', { name: /Porthole demo/ });
  await option.click();
  await waitForState(page, 'connected');
  await waitForScreen(page, 'Welcome to the Porthole demo host');
  assert.match(page.url(), /\/terminal\/\?host=demo$/);
  await page.keyboard.type('under a prefix');
  await page.keyboard.press('Enter');
  await waitForScreen(page, 'You typed: under a prefix');
  await screenshot(page, 'base-path');
  // Deep link, a fresh page load under the prefix.
  await page.goto(`${suite.server.url}/terminal/h/demo`);
  await waitForState(page, 'connected');
  await waitForScreen(page, 'Welcome to the Porthole demo host');
  assert.deepEqual(errors, []);
  assert.deepEqual(
    requests.filter((p) => !p.startsWith('/terminal/')),
    [],
    'every request stays under the prefix',
  );
  assert.ok(requests.some((p) => p.startsWith('/terminal/assets/')));
  const root = await fetch(`${suite.server.url}/`);
  assert.equal(root.status, 404);
  assert.equal((await fetch(`${suite.server.url}/api/hosts`)).status, 404);
  assert.equal((await fetch(`${suite.server.url}/healthz`)).status, 200, 'probes stay at the root');
  await page.close();
});
