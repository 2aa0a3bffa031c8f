/**
 * A phone (390 × 760, touch) in real Chromium, issue 11: a MUD's 80-column text wraps at
 * word boundaries in line mode, the key bar has a paste key, and a long press selects.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { startBackend } from '../helpers/backends.ts';
import { onLines } from './backends.ts';
import { e2eSuite, screenshot, waitForScreen } from './helpers.ts';

const received: string[] = [];

/** A room description hard-wrapped at 79 columns, as tbaMUD and most Diku MUDs send it. */
const ROOM = [
  '\x1b[1;36mThe Temple Square\x1b[0m',
  '   You are standing in the middle of a large square, paved with grey flagstones',
  'worn smooth by centuries of pilgrims. To the north rises the temple of Midgaard,',
  'its marble columns gleaming in the afternoon sunlight. Merchants hawk their wares',
  'from colourful stalls, and a fountain splashes quietly near the eastern archway.',
];

const suite = e2eSuite(
  async (keep) => {
    const mud = keep(
      await startBackend((socket) => {
        socket.write(`${ROOM.join('\r\n')}\r\n\r\n[ Exits: n e s w ]\r\n> `);
        onLines(socket, (line) => {
          received.push(line);
          socket.write(`You say, '${line}'\r\n> `);
        });
      }),
    );
    return {
      hosts: [
        { id: 'mud', name: 'Midgaard', target: `telnet://127.0.0.1:${mud.port}`, input: 'line' },
      ],
    };
  },
  {
    browser: { viewport: { width: 390, height: 760 }, touch: true },
    ready: ({ browser: chromium }) =>
      chromium.context.grantPermissions(['clipboard-read', 'clipboard-write']),
  },
);

test('phone, line mode: an 80-column room description wraps between words, never inside one', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=mud`);
  const screen = await waitForScreen(page, '[ Exits: n e s w ]');
  // Columns = the screen's width over one cell's (xterm measures a run of 32 characters).
  const cols = await page.evaluate(() => {
    const measure = document.querySelector('.xterm-char-measure-element');
    const screen = document.querySelector('.xterm-screen');
    const cell =
      (measure?.getBoundingClientRect().width ?? 0) / (measure?.textContent?.length || 1);
    return Math.floor((screen?.getBoundingClientRect().width ?? 0) / cell);
  });
  assert.ok(cols > 30 && cols < 60, `a phone-sized terminal (${cols} columns)`);
  const rows = screen.split('\n');
  const tokens = new Set(rows.flatMap((r) => r.split(/\s+/)));
  const words = ROOM.slice(1).flatMap((l) => l.trim().split(/\s+/));
  const cut = words.filter((w) => !tokens.has(w));
  assert.deepEqual(cut, [], `words cut in half:\n${screen}`);
  for (const r of rows) assert.ok(r.length <= cols, r);
  await screenshot(page, 'phone-word-wrap');
  await page.close();
});

/** The centre of the `index`-th character of `word` where the terminal shows it. */
async function pointOf(page: Page, word: string, index = 0): Promise<{ x: number; y: number }> {
  const p = await page.evaluate(
    ([w, i]) => {
      const screen = document.querySelector('.xterm-screen')?.getBoundingClientRect();
      const rows = [...document.querySelectorAll('.xterm-rows > div')];
      const measure = document.querySelector('.xterm-char-measure-element');
      const cell =
        (measure?.getBoundingClientRect().width ?? 0) / (measure?.textContent?.length || 1);
      for (const row of rows) {
        const text = (row.textContent ?? '').replace(/\u00a0/g, ' ');
        const at = text.indexOf(w);
        if (at < 0 || screen === undefined) continue;
        const r = row.getBoundingClientRect();
        return { x: screen.left + (at + i + 0.5) * cell, y: r.top + r.height / 2 };
      }
      return undefined;
    },
    [word, index] as const,
  );
  assert.ok(p !== undefined, `${word} is on screen`);
  return p;
}

const clipboard = (page: Page): Promise<string> =>
  page.evaluate(() => navigator.clipboard.readText());

test('phone: a long press selects a word, dragging extends it, and it is copied', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=mud`);
  await waitForScreen(page, '[ Exits: n e s w ]');
  await page.evaluate(() => navigator.clipboard.writeText('sentinel'));
  assert.equal(await page.locator('button[data-action="copy"]').isHidden(), true);
  const cdp = await page.context().newCDPSession(page);
  const touch = (
    type: 'touchStart' | 'touchEnd' | 'touchMove' | 'touchCancel',
    points: { x: number; y: number }[],
  ) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points });
  const p = await pointOf(page, 'flagstones', 3);
  await touch('touchStart', [p]);
  await page.waitForTimeout(800);
  await touch('touchEnd', []);
  for (let i = 0; i < 40 && (await clipboard(page)) === 'sentinel'; i++)
    await page.waitForTimeout(50);
  assert.equal(await clipboard(page), 'flagstones', 'the word under the finger, copied on select');
  assert.equal(await page.locator('button[data-action="copy"]').isVisible(), true);
  // Press on "Temple", drag to "Square": both words.
  const from = await pointOf(page, 'Temple', 1);
  const to = await pointOf(page, 'Square', 4);
  await touch('touchStart', [from]);
  await page.waitForTimeout(800);
  await touch('touchMove', [{ x: (from.x + to.x) / 2, y: from.y }]);
  await touch('touchMove', [to]);
  await touch('touchEnd', []);
  for (let i = 0; i < 40 && (await clipboard(page)) !== 'Temple Squar'; i++)
    await page.waitForTimeout(50);
  assert.equal(await clipboard(page), 'Temple Squar');
  // A quick tap selects nothing new.
  await page.evaluate(() => navigator.clipboard.writeText('sentinel'));
  const tap = await pointOf(page, 'fountain', 2);
  await touch('touchStart', [tap]);
  await touch('touchEnd', []);
  await page.waitForTimeout(900);
  assert.equal(await clipboard(page), 'sentinel');
  await page.close();
});

test('phone: the key bar’s Paste sends a pasted line, and several lines as commands', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=mud`);
  await waitForScreen(page, '[ Exits: n e s w ]');
  received.length = 0;
  await page.evaluate(() => navigator.clipboard.writeText('hello there\nhow are you'));
  await page.locator('button[data-action="paste"]').tap();
  await waitForScreen(page, "You say, 'how are you'");
  assert.deepEqual(received, ['hello there', 'how are you']);
  await page.evaluate(() => navigator.clipboard.writeText('one line'));
  await page.locator('button[data-action="paste"]').tap();
  await page.waitForTimeout(200);
  assert.equal(
    await page.locator('#line-input').inputValue(),
    'one line',
    'into the box, not sent',
  );
  const overflow = await page.locator('#key-bar').evaluate((el) => el.scrollWidth - el.clientWidth);
  assert.ok(overflow <= 0, `the key bar fits without scrolling (${overflow} px over)`);
  await screenshot(page, 'phone-key-bar');
  await page.close();
});
