/**
 * The host picker (filter, keyboard, last used first, hostile names as text), deep links
 * (/?host=ID and /h/ID connect at once) and embed mode (chrome hidden; iframed by an
 * allowed site).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { startBackend } from '../helpers/backends.ts';
import { e2eSuite, screenshot, waitForScreen, waitForState } from './helpers.ts';

const XSS_NAME = '"><svg onload=alert(1)>';
const XSS_DESC = '</script><script>alert(2)</script><b>bold?</b>';

let siteUrl: string;

const suite = e2eSuite(async (keep) => {
  const echo = keep(
    await startBackend((s) => {
      s.write('echo host ready\r\n');
      s.pipe(s);
    }),
  );
  // A MUD's website that iframes the client; the page is built when asked, once Porthole runs.
  const site = keep(
    createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(
        `<!doctype html><title>A MUD's website</title><h1>Play now</h1>` +
          `<iframe id="game" src="${suite.server.url}/?host=demo&embed=1" width="900" height="520"></iframe>`,
      );
    }),
  );
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  return {
    frameAncestors: [siteUrl],
    hosts: [
      { id: 'demo', name: 'Porthole demo', target: 'builtin:demo', tags: ['demo'], input: 'raw' },
      {
        id: 'dune',
        name: 'DuneMUD',
        description: 'The classic, since 1992',
        tags: ['mud', 'pvp'],
        target: `telnet://127.0.0.1:${echo.port}`,
      },
      { id: 'bbs', name: 'Old Town BBS', tags: ['bbs', 'ansi'], target: echo.target },
      { id: 'xss', name: XSS_NAME, description: XSS_DESC, target: echo.target },
    ],
  };
});

/** Records CSP violations and dialogs (an alert() would be one) from the first script on. */
async function watchedPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await suite.browser.context.newPage();
  const problems: string[] = [];
  page.on('dialog', (d) => {
    // Leaving a live session asks first (issue 11): expected, and answered yes.
    if (d.type() === 'beforeunload' || /^Leave .*disconnected\.$/.test(d.message())) {
      void d.accept();
      return;
    }
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (err) => problems.push(`error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { page, problems };
}

const optionNames = (page: Page): Promise<string[]> =>
  page.locator('#host-list [role="option"] .host-name').allTextContents();

test('filter box and keyboard: type to filter, arrows to choose, Enter to open', async () => {
  const { page, problems } = await watchedPage();
  await page.goto(suite.server.url);
  await page.getByRole('option').first().waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'host-filter');
  assert.equal(await page.locator('#host-count').textContent(), '4 hosts');
  await page.keyboard.type('pvp classic');
  assert.deepEqual(await optionNames(page), ['DuneMUD']);
  assert.equal(await page.locator('#host-count').textContent(), '1 of 4 hosts');
  await page.keyboard.press('Escape');
  assert.equal((await optionNames(page)).length, 4, 'Esc clears the filter');
  await page.keyboard.type('zzz');
  assert.equal(await page.locator('#picker-empty').textContent(), 'No host matches “zzz”.');
  await page.keyboard.press('Escape');
  const selected = (): Promise<string | null> =>
    page.locator('[role="option"][aria-selected="true"] .host-name').textContent();
  assert.equal(await selected(), 'Porthole demo');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  assert.equal(await selected(), 'Old Town BBS');
  const activeId = await page.locator('#host-filter').getAttribute('aria-activedescendant');
  assert.equal(activeId, 'host-opt-bbs');
  await page.keyboard.press('ArrowUp');
  assert.equal(await selected(), 'DuneMUD');
  await page.keyboard.press('Enter');
  await waitForState(page, 'connected');
  assert.equal(new URL(page.url()).searchParams.get('host'), 'dune');
  assert.equal(await page.locator('#session-host').textContent(), 'DuneMUD');
  await page.goBack();
  await page.getByRole('option').first().waitFor();
  assert.equal((await optionNames(page))[0], 'DuneMUD', 'the last used host comes first');
  assert.equal(await page.locator('[role="option"] .badge').textContent(), 'last used');
  await screenshot(page, 'picker-hosts');
  assert.deepEqual(problems, []);
  await page.close();
});

test('hostile host names and descriptions are shown as text everywhere', async () => {
  const { page, problems } = await watchedPage();
  await page.goto(suite.server.url);
  const option = page.locator('#host-opt-xss');
  await option.waitFor();
  assert.equal(await option.locator('.host-name').textContent(), XSS_NAME);
  assert.equal(await option.locator('.host-desc').textContent(), XSS_DESC);
  assert.equal(await page.locator('#host-list svg, #host-list script, #host-list b').count(), 0);
  await option.click();
  await waitForState(page, 'connected');
  assert.equal(await page.locator('#session-host').textContent(), XSS_NAME);
  assert.equal(await page.title(), `${XSS_NAME} · Porthole`);
  assert.equal(await page.locator('#session-title svg').count(), 0);
  assert.deepEqual(problems, []);
  await page.close();
});

test('deep links connect at once: /h/ID and /?host=ID', async () => {
  const { page, problems } = await watchedPage();
  for (const path of ['/h/dune', '/?host=bbs']) {
    await page.goto(`${suite.server.url}${path}`);
    await waitForState(page, 'connected');
    await waitForScreen(page, 'echo host ready');
    assert.equal(await page.locator('#picker').isHidden(), true);
  }
  assert.equal(await page.locator('#session-host').textContent(), 'Old Town BBS');
  assert.deepEqual(problems, []);
  await page.close();
});

test('embed mode hides the chrome and works inside an allowed site’s iframe', async () => {
  const { page, problems } = await watchedPage();
  await page.goto(`${suite.server.url}/?host=demo&embed=1`);
  await waitForScreen(page, 'Welcome to the Porthole demo host');
  assert.equal(await page.locator('#topbar').isHidden(), true);
  assert.equal(await page.locator('#status-bar').isHidden(), true);
  await page.goto(siteUrl);
  const frame = page.frameLocator('#game');
  await frame.locator('#app[data-state="connected"]').waitFor({ timeout: 5000 });
  await frame.locator('.xterm-rows', { hasText: 'Welcome to the Porthole demo host' }).waitFor();
  assert.equal(await frame.locator('#topbar').isHidden(), true);
  await frame.locator('.xterm-helper-textarea').focus();
  await page.keyboard.type('hi from the iframe');
  await page.keyboard.press('Enter');
  await frame.locator('.xterm-rows', { hasText: 'You typed: hi from the iframe' }).waitFor();
  assert.deepEqual(problems, []);
  await page.close();
});
