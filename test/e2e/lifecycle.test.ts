/**
 * How sessions end: a server restart that the client survives by reconnecting on its own, a
 * deliberate end by the host (4003) that it does not retry, Disconnect, an unknown host, and
 * an HTML close reason shown as text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloseCode, describeClose } from '../../shared/protocol.ts';
import { e2eSuite, screenshot, startServer, waitForScreen, waitForState } from './helpers.ts';

const suite = e2eSuite();

test('a server restart: the client says so, retries, and is back without a click', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=demo`);
  await waitForState(page, 'connected');
  await waitForScreen(page, 'Welcome to the Porthole demo host');
  const port = suite.server.port;
  await suite.server.close();
  await waitForState(page, 'waiting');
  assert.equal(
    await page.locator('#notice-text').textContent(),
    describeClose(CloseCode.GOING_AWAY).sentence,
  );
  assert.match((await page.locator('#notice-retry').textContent()) ?? '', /Reconnecting/);
  await screenshot(page, 'reconnecting');
  suite.server = await startServer(undefined, port);
  // Backoff: 1 s, then 2 s (while the server was down); allow for both.
  await waitForState(page, 'connected', 8000);
  assert.equal(await page.locator('#notice').isHidden(), true);
  await waitForScreen(page, 'Reconnected to Porthole demo');
  await page.close();
});

test('a deliberate end by the host (quit → 4003) is explained and not retried', async () => {
  const page = await suite.browser.context.newPage();
  let sessions = 0;
  const count = (): void => {
    sessions++;
  };
  suite.server.porthole.on('session', count);
  await page.goto(`${suite.server.url}/?host=demo`);
  await waitForScreen(page, 'Type something');
  await page.keyboard.type('quit');
  await page.keyboard.press('Enter');
  await waitForState(page, 'closed');
  await waitForScreen(page, 'Goodbye!');
  assert.equal(
    await page.locator('#notice-text').textContent(),
    describeClose(CloseCode.BACKEND_CLOSED).sentence,
  );
  assert.equal(await page.locator('#btn-cancel-retry').isHidden(), true);
  assert.equal(await page.locator('#status-state-text').textContent(), 'Disconnected');
  await screenshot(page, 'closed');
  await page.waitForTimeout(2500);
  assert.equal(sessions, 1, 'no reconnect attempt');
  assert.equal(await page.locator('#app').getAttribute('data-state'), 'closed');
  await page.locator('#btn-reconnect').click();
  await waitForState(page, 'connected');
  assert.equal(sessions, 2, 'Reconnect opens a new session');
  suite.server.porthole.off('session', count);
  await page.close();
});

test('Disconnect ends the session for good; the button then reconnects', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=demo`);
  await waitForState(page, 'connected');
  await page.locator('#btn-disconnect').click();
  await waitForState(page, 'closed');
  assert.equal(await page.locator('#notice-text').textContent(), 'You disconnected.');
  assert.equal(await page.locator('#btn-disconnect').textContent(), 'Reconnect');
  await page.locator('#btn-disconnect').click();
  await waitForState(page, 'connected');
  await page.close();
});

test('an unknown host in a deep link gets a sentence, not a retry loop', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/h/no-such-host`);
  await waitForState(page, 'closed');
  assert.equal(
    await page.locator('#notice-text').textContent(),
    'There is no host with that name on this server.',
  );
  await page.locator('#btn-hosts').click();
  await page.getByRole('option', { name: /Porthole demo/ }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
  await page.close();
});

test('a close reason with HTML is shown as text', async () => {
  const page = await suite.browser.context.newPage();
  const evil = '<img src=x onerror="document.title=\'pwned\'">';
  const closeIt = (session: { close(code: number, reason: string, cause: string): void }): void => {
    setTimeout(() => session.close(CloseCode.BACKEND_CLOSED, evil, 'test'), 300);
  };
  suite.server.porthole.once('session', closeIt);
  await page.goto(`${suite.server.url}/?host=demo`);
  await waitForState(page, 'closed');
  assert.equal(await page.locator('#notice-detail').textContent(), `Server said: “${evil}”`);
  assert.equal(await page.locator('#notice img').count(), 0);
  assert.notEqual(await page.title(), 'pwned');
  await page.close();
});
