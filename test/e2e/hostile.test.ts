/**
 * Terminal output is hostile input (SECURITY.md E1–E5): clipboard escapes, dangerous OSC 8
 * links, title and string reports, an HTML title. Nothing changes and nothing is sent back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { type FakeBackend, startBackend } from '../helpers/backends.ts';
import { e2eSuite, waitForScreen, waitForState } from './helpers.ts';

const osc = (body: string): string => `\x1b]${body}\x07`;
const link = (url: string, text: string): string => `${osc(`8;;${url}`)}${text}${osc('8;;')}`;
const HTML_TITLE = '<img src=x onerror=alert(1)>';

const PAYLOAD = [
  osc(`52;c;${Buffer.from('rm -rf ~').toString('base64')}`), // E1: clipboard write
  osc('52;c;?'), // E2: clipboard read
  `${link('javascript:alert(1)', 'CLICK-JS')} ${link('data:text/html,<b>x</b>', 'CLICK-DATA')} `,
  `${link('file:///etc/passwd', 'CLICK-FILE')} ${link('https://example.org/real', 'SAFE-LINK')}\r\n`,
  'plain https://example.com/plain here\r\n',
  '\x1b[21t\x1b[20t\x1b[18t\x1b[14t\x1b[13t', // E4: title, icon label and window reports
  '\x1bP$qm\x1b\\\x1bP$q"p\x1b\\', // E4: DECRQSS string reports
  osc(`0;${HTML_TITLE}`), // E5: the title as HTML
  'HOSTILE-DONE\r\n',
].join('');

let hostile: FakeBackend;
let cpr: FakeBackend;

const suite = e2eSuite(
  async (keep) => {
    hostile = keep(await startBackend((s) => s.write(PAYLOAD)));
    cpr = keep(await startBackend((s) => s.write('where am I?\x1b[6n\r\n')));
    return {
      hosts: [
        { id: 'evil', name: 'Hostile', target: hostile.target, input: 'raw' },
        { id: 'cpr', name: 'Cursor report', target: cpr.target, input: 'raw' },
      ],
    };
  },
  {
    ready: ({ browser, server }) =>
      browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: server.url,
      }),
  },
);

/** The centre of the first on-screen occurrence of `text` in the terminal rows. */
async function textCenter(page: Page, text: string): Promise<{ x: number; y: number }> {
  const point = await page.evaluate((needle) => {
    const walker = document.createTreeWalker(
      document.querySelector('.xterm-rows') ?? document.body,
      NodeFilter.SHOW_TEXT,
    );
    for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
      const at = node.textContent?.indexOf(needle) ?? -1;
      if (at >= 0) {
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + needle.length);
        const r = range.getBoundingClientRect();
        return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
      }
    }
    return undefined;
  }, text);
  assert.ok(point, `${text} is on screen`);
  return point;
}

test('hostile output changes nothing, opens nothing and sends nothing back', async () => {
  const page = await suite.browser.context.newPage();
  const problems: string[] = [];
  const popups: string[] = [];
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (err) => problems.push(err.message));
  suite.browser.context.on('page', (p) => popups.push(p.url()));
  await page.goto(`${suite.server.url}/?host=evil`);
  await waitForState(page, 'connected');
  await page.evaluate(() => navigator.clipboard.writeText('sentinel'));
  await waitForScreen(page, 'HOSTILE-DONE');

  // E1/E2: the clipboard is untouched; E4: no report of any kind went back to the host.
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'sentinel');
  await page.waitForTimeout(300);
  assert.equal(hostile.receivedText(), '');

  // E5: the title is text, never markup.
  // (The tab title follows the host's at most every 100 ms.)
  await page.waitForFunction((t) => document.title === t, `${HTML_TITLE} · Hostile`);
  assert.equal(await page.locator('img').count(), 0);

  // E3: javascript:, data: and file: links do nothing, even with Ctrl held.
  for (const text of ['CLICK-JS', 'CLICK-DATA', 'CLICK-FILE']) {
    const { x, y } = await textCenter(page, text);
    await page.mouse.move(x, y);
    await page.keyboard.down('Control');
    await page.mouse.click(x, y);
    await page.keyboard.up('Control');
    assert.equal(await page.locator('#link-dialog').getAttribute('open'), null, text);
  }

  // An https OSC 8 link: hovering shows the real URL; a plain click does nothing; Ctrl+click asks.
  const safe = await textCenter(page, 'SAFE-LINK');
  await page.mouse.move(safe.x, safe.y);
  await page.locator('#link-tip', { hasText: 'https://example.org/real' }).waitFor();
  await page.mouse.click(safe.x, safe.y);
  assert.equal(await page.locator('#link-dialog').getAttribute('open'), null);
  await page.keyboard.down('Control');
  await page.mouse.click(safe.x, safe.y);
  await page.keyboard.up('Control');
  await page.locator('#link-dialog[open]').waitFor();
  assert.equal(await page.locator('#link-url').textContent(), 'https://example.org/real');
  assert.equal(await page.locator('#link-warning').isVisible(), true);
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await page.locator('#link-dialog').getAttribute('open'), null);

  // A URL printed as plain text: a click asks first, showing the address.
  const plain = await textCenter(page, 'https://example.com/plain');
  await page.mouse.move(plain.x, plain.y);
  await page.mouse.click(plain.x, plain.y);
  await page.locator('#link-dialog[open]').waitFor();
  assert.equal(await page.locator('#link-url').textContent(), 'https://example.com/plain');
  await page.keyboard.press('Escape');

  assert.deepEqual(popups, [], 'no window was opened');
  assert.deepEqual(problems, []);
  assert.equal(hostile.receivedText(), '', 'still nothing sent back');
  await page.close();
});

test('a cursor position request gets only the numeric report', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=cpr`);
  await waitForScreen(page, 'where am I?');
  const deadline = Date.now() + 3000;
  while (cpr.receivedText() === '' && Date.now() < deadline) await page.waitForTimeout(25);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a cursor position report starts with ESC.
  assert.match(cpr.receivedText(), /^\x1b\[\d+;\d+R$/);
  await page.close();
});
