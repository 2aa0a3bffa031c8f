/** A phone: the touch key bar sends the right sequences, Ctrl latches, the layout fits the screen. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FakeBackend, startBackend } from '../helpers/backends.ts';
import { e2eSuite, screenshot, waitForScreen, waitForState } from './helpers.ts';

let recorder: FakeBackend;

const suite = e2eSuite(
  async (keep) => {
    recorder = keep(await startBackend((s) => s.write('ready\r\n')));
    return {
      hosts: [
        { id: 'demo', name: 'Porthole demo', target: 'builtin:demo', input: 'raw' },
        { id: 'rec', name: 'Recorder', target: recorder.target, input: 'raw' },
        { id: 'mud', name: 'Line host', target: recorder.target, input: 'line' },
      ],
    };
  },
  { browser: { viewport: { width: 390, height: 760 }, touch: true } },
);

test('the picker and a session fit a phone screen', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(suite.server.url);
  await page.getByRole('option').first().waitFor();
  await screenshot(page, 'mobile-picker');
  await page.getByRole('option', { name: /Porthole demo/ }).tap();
  await waitForScreen(page, 'Welcome to the Porthole demo host');
  assert.equal(await page.locator('#key-bar').isVisible(), true, 'key bar on a touch screen');
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  assert.equal(overflow, 0, 'no sideways scrolling');
  const bar = await page.locator('#key-bar').boundingBox();
  const term = await page.locator('#terminal').boundingBox();
  assert.ok(
    bar !== null && term !== null && term.y + term.height <= bar.y + 1,
    'terminal above the bar',
  );
  await screenshot(page, 'mobile-session');
  await page.close();
});

test('key bar keys and a latched Ctrl reach the host', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=rec`);
  await waitForState(page, 'connected');
  const bar = page.locator('#key-bar');
  const key = (name: string) => bar.locator(`button[data-key="${name}"]`);
  await key('Escape').tap();
  await key('Tab').tap();
  await key('ArrowUp').tap();
  await key('PageDown').tap();
  await key('Control').tap();
  assert.equal(await key('Control').getAttribute('aria-pressed'), 'true');
  await page.keyboard.type('c');
  assert.equal(await key('Control').getAttribute('aria-pressed'), 'false', 'Ctrl releases');
  await key('Alt').tap();
  await key('ArrowLeft').tap();
  const expected = '\x1b\t\x1b[A\x1b[6~\x03\x1b[1;3D';
  const deadline = Date.now() + 3000;
  while (recorder.receivedText() !== expected && Date.now() < deadline)
    await page.waitForTimeout(25);
  assert.equal(recorder.receivedText(), expected);
  await page.close();
});

test('in line mode the bar recalls history and keeps the input focused', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=mud`);
  await waitForState(page, 'connected');
  const input = page.locator('#line-input');
  await input.fill('look');
  await input.press('Enter');
  await input.fill('');
  await page.locator('#key-bar button[data-key="ArrowUp"]').tap();
  assert.equal(await input.inputValue(), 'look');
  assert.equal(await input.evaluate((el) => el === document.activeElement), true);
  await screenshot(page, 'mobile-line');
  await page.close();
});
