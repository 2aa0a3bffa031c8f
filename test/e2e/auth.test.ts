/**
 * Signing in from the browser: a token handed over in the page URL (kept for the tab, gone
 * from the address bar), a clear sentence without one, and the password mode's login page.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword } from '../../server/gateway/auth.ts';
import { e2eSuite, startServer, type TestServer, waitForScreen, waitForState } from './helpers.ts';

const TOKEN = 'e2e-token-0123456789abcdef';
const DEMO = { id: 'demo', name: 'Porthole demo', target: 'builtin:demo', input: 'raw' as const };
let passwordServer: TestServer;
const suite = e2eSuite(async (keep) => {
  passwordServer = keep(
    await startServer({
      hosts: [DEMO],
      auth: {
        mode: 'password',
        users: [{ name: 'alice', passwordHash: await hashPassword('wonderland') }],
      },
    }),
  );
  return { hosts: [DEMO], auth: { mode: 'token', tokens: [{ name: 'e2e', token: TOKEN }] } };
});

test('a token in the page URL opens the session and leaves the address bar', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=demo&token=${TOKEN}`);
  await waitForState(page, 'connected', 10_000);
  await waitForScreen(page, /Welcome to the Porthole demo host/);
  assert.ok(!page.url().includes('token'), `address bar still has the token: ${page.url()}`);
  assert.ok(page.url().includes('host=demo'));
  await page.close();
});

test('without a token the picker and a deep link both say a sign-in is needed', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(suite.server.url);
  await page.getByText('This server needs you to sign in').first().waitFor({ timeout: 10_000 });
  await page.goto(`${suite.server.url}/?host=demo`);
  await page
    .locator('#notice-text', {
      hasText: 'This server needs you to sign in before opening a session.',
    })
    .waitFor({ timeout: 10_000 });
  assert.notEqual(
    await page.locator('#app').getAttribute('data-state'),
    'waiting',
    'a sign-in is not retried',
  );
  await page.close();
});

test('password mode: the picker sends you to /login, and signing in brings the hosts', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(passwordServer.url);
  await page.waitForURL(/\/login$/, { timeout: 10_000 });
  await page.fill('#user', 'alice');
  await page.fill('#password', 'not it');
  await page.click('button[type=submit]');
  await page.getByText('Wrong user name or password.').waitFor();
  await page.fill('#user', 'alice');
  await page.fill('#password', 'wonderland');
  await page.click('button[type=submit]');
  await page.getByRole('option', { name: /Porthole demo/ }).waitFor({ timeout: 10_000 });
  const cookies = await suite.browser.context.cookies(passwordServer.url);
  const session = cookies.find((c) => c.name === 'porthole_session');
  assert.equal(session?.httpOnly, true);
  assert.equal(session?.sameSite, 'Strict');
  await page.close();
});
