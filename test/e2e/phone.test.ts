/**
 * A phone (390 × 760, touch) in real Chromium, issue 11: a MUD's 80-column text wraps at
 * word boundaries in line mode, the key bar has a paste key, and a long press selects.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type FakeBackend, startBackend } from '../helpers/backends.ts';
import { onLines } from './backends.ts';
import {
  launchBrowser,
  screenshot,
  startServer,
  type TestBrowser,
  type TestServer,
  waitForScreen,
} from './helpers.ts';

let server: TestServer;
let browser: TestBrowser;
let mud: FakeBackend;
const received: string[] = [];

/** A room description hard-wrapped at 79 columns, as tbaMUD and most Diku MUDs send it. */
const ROOM = [
  '\x1b[1;36mThe Temple Square\x1b[0m',
  '   You are standing in the middle of a large square, paved with grey flagstones',
  'worn smooth by centuries of pilgrims. To the north rises the temple of Midgaard,',
  'its marble columns gleaming in the afternoon sunlight. Merchants hawk their wares',
  'from colourful stalls, and a fountain splashes quietly near the eastern archway.',
];

before(async () => {
  mud = await startBackend((socket) => {
    socket.write(`${ROOM.join('\r\n')}\r\n\r\n[ Exits: n e s w ]\r\n> `);
    onLines(socket, (line) => {
      received.push(line);
      socket.write(`You say, '${line}'\r\n> `);
    });
  });
  server = await startServer({
    hosts: [
      { id: 'mud', name: 'Midgaard', target: `telnet://127.0.0.1:${mud.port}`, input: 'line' },
    ],
  });
  browser = await launchBrowser({ viewport: { width: 390, height: 760 }, touch: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
  await mud?.close();
});

test('phone, line mode: an 80-column room description wraps between words, never inside one', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/?host=mud`);
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
