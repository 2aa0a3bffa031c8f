/**
 * A MUD reboot in real Chromium (issue 11): the host closes or resets a live session. With
 * `reconnect: auto` the client counts down and reconnects by itself, even while the host takes
 * a moment to come back; by default it offers a Reconnect button.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { type FakeBackend, startBackend } from '../helpers/backends.ts';
import { onLines } from './backends.ts';
import { e2eSuite, screenshot, waitForScreen, waitForState } from './helpers.ts';

let boots = 0;

/** `reboot` closes every connection (FIN), `crash` resets them (RST). */
function rebootingMud(): Promise<FakeBackend> {
  return startBackend((socket: Socket) => {
    boots++;
    socket.write(`Welcome (connection ${boots})\r\n> `);
    onLines(socket, (line) => {
      if (line === 'reboot') {
        socket.end('Rebooting, back in a moment...\r\n');
      } else if (line === 'quit') {
        socket.end('Goodbye.\r\n');
      } else if (line === 'crash') socket.resetAndDestroy();
      else socket.write(`ok ${line}\r\n> `);
    });
  });
}

const suite = e2eSuite(async (keep) => {
  const mud = keep(await rebootingMud());
  const target = `telnet://127.0.0.1:${mud.port}`;
  return {
    hosts: [
      { id: 'auto', name: 'Auto MUD', target, input: 'line', reconnect: 'auto' },
      { id: 'ask', name: 'Ask MUD', target, input: 'line' },
    ],
  };
});

test('reconnect: auto: a reboot (FIN) and a crash (RST) are followed by a countdown and a new session', async () => {
  const page = await suite.browser.context.newPage();
  const first = boots + 1;
  await page.goto(`${suite.server.url}/?host=auto`);
  await waitForScreen(page, `Welcome (connection ${first})`);
  await page.locator('#line-input').fill('reboot');
  await page.locator('#line-input').press('Enter');
  await waitForScreen(page, 'It may be restarting.');
  assert.match((await page.locator('#notice-retry').textContent()) ?? '', /Reconnecting in \d+ s/);
  await screenshot(page, 'reconnect-countdown');
  await waitForScreen(page, `Welcome (connection ${first + 1})`, 15_000);
  await waitForState(page, 'connected');
  assert.equal(await page.locator('#notice').isHidden(), true);
  await page.locator('#line-input').fill('crash');
  await page.locator('#line-input').press('Enter');
  await waitForScreen(page, 'The connection to the host was lost. It may be restarting.');
  await waitForScreen(page, `Welcome (connection ${first + 2})`, 15_000);
  await page.locator('#line-input').fill('look');
  await page.locator('#line-input').press('Enter');
  await waitForScreen(page, 'ok look');
  await page.close();
});

test('reconnect: ask (the default): a Reconnect button, and nothing happens by itself', async () => {
  const page = await suite.browser.context.newPage();
  const first = boots + 1;
  await page.goto(`${suite.server.url}/?host=ask`);
  await waitForScreen(page, `Welcome (connection ${first})`);
  await page.locator('#line-input').fill('reboot');
  await page.locator('#line-input').press('Enter');
  await waitForState(page, 'closed');
  assert.equal(await page.locator('#notice-text').textContent(), 'The host closed the connection.');
  assert.equal(await page.locator('#btn-reconnect').textContent(), 'Reconnect');
  await page.waitForTimeout(4000);
  assert.equal(boots, first, 'no reconnect on its own');
  await page.locator('#btn-reconnect').click();
  await waitForScreen(page, `Welcome (connection ${first + 1})`);
  await page.close();
});

test('reconnect: auto, but the user typed quit: the end is theirs, no reconnect', async () => {
  const page = await suite.browser.context.newPage();
  const first = boots + 1;
  await page.goto(`${suite.server.url}/?host=auto`);
  await waitForScreen(page, `Welcome (connection ${first})`);
  await page.locator('#line-input').fill('quit');
  await page.locator('#line-input').press('Enter');
  await waitForState(page, 'closed');
  assert.equal(await page.locator('#notice-text').textContent(), 'The host closed the connection.');
  await page.waitForTimeout(4000);
  assert.equal(boots, first, 'no reconnect on its own');
  await page.close();
});
