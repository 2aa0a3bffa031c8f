/**
 * The MUD client in real Chromium against a scripted tbaMUD/MTH-style MUD on loopback:
 * command separator, alias and trigger, MSDP/GMCP vitals gauges that move, MXP `<send>`
 * links, split scrollback, and screenshots of the session with panels (desktop, phone).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  launchBrowser,
  startServer,
  type TestBrowser,
  type TestServer,
  waitForScreen,
  waitForState,
} from './helpers.ts';
import { type ScriptedMud, scriptedMud } from './mud-backend.ts';

let server: TestServer;
let browser: TestBrowser;
let mud: ScriptedMud;

const PROFILE = {
  aliases: [{ pattern: 'k', body: 'kill $1' }],
  triggers: [
    { pattern: 'goblin hits you', highlight: '#ff5555', send: 'flee' },
    { pattern: '^You (\\w+)\\.$', regex: true, gag: true },
  ],
};

before(async () => {
  mud = await scriptedMud();
  server = await startServer({
    hosts: [
      { id: 'tba', name: 'ScriptMUD', target: `telnet://127.0.0.1:${mud.port}`, input: 'line' },
    ],
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await mud?.close();
});

async function until(
  check: () => boolean,
  what: string,
  page: Page,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(25);
  }
}

async function open(page: Page, profile: unknown = PROFILE): Promise<void> {
  await page.addInitScript((p) => {
    localStorage.setItem('porthole.profile.tba', p);
  }, JSON.stringify(profile));
  await page.goto(`${server.url}/?host=tba`);
  await waitForState(page, 'connected');
  await waitForScreen(page, 'Temple Square');
}

async function type(page: Page, line: string): Promise<void> {
  await page.locator('#line-input').fill(line);
  await page.locator('#line-input').press('Enter');
}

test('n;e;s sends three commands; an alias expands; a trigger highlights, sends and a gag hides', async () => {
  const page = await browser.context.newPage();
  await open(page);
  const before = mud.commands.length;
  await type(page, 'n;e;s');
  await until(() => mud.commands.length >= before + 3, 'three commands', page);
  assert.deepEqual(mud.commands.slice(before, before + 3), ['n', 'e', 's']);
  await type(page, 'k goblin');
  await until(() => mud.commands.includes('kill goblin'), 'the alias', page);
  await type(page, 'hurt');
  await until(() => mud.commands.includes('flee'), 'the trigger to send flee', page);
  const screen = await waitForScreen(page, 'A goblin hits you hard!');
  assert.doesNotMatch(screen, /^You kill\.$/m, 'the gagged reply to "kill goblin" is hidden');
  const colour = await page.evaluate(() => {
    const spans = [...document.querySelectorAll('.xterm-rows span')];
    const hit = spans.find((s) => s.textContent?.includes('goblin hits you'));
    return hit === undefined ? '' : getComputedStyle(hit).color;
  });
  assert.equal(colour, 'rgb(255, 85, 85)', 'the trigger colours the match');
  await page.close();
});
