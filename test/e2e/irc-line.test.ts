/**
 * Line mode against a real IRC server (Debian's ngIRCd, issue 11): log in, join, and paste
 * 30 lines, which must arrive as 30 messages, paced so ngIRCd's flood control does not cut
 * the client off. A second, raw IRC client in the channel sees what arrived.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { startNgircd } from '../helpers/ngircd.ts';
import { e2eSuite, screenText, waitForScreen } from './helpers.ts';

let watcher: Socket;
let heard = '';

const suite = e2eSuite(
  async (keep) => {
    const irc = keep(await startNgircd('unused-password'));
    watcher = connect(irc.port, '127.0.0.1');
    keep({ close: () => watcher.destroy() });
    watcher.setEncoding('utf8');
    watcher.on('data', (d: string) => {
      heard += d;
      for (const m of d.matchAll(/^PING (\S+)/gm)) watcher.write(`PONG ${m[1]}\r\n`);
    });
    watcher.write('NICK watcher\r\nUSER watcher 0 * :Watcher\r\nJOIN #porthole\r\n');
    const deadline = Date.now() + 10_000;
    while (!/366 watcher #porthole/.test(heard) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(heard, /366 watcher #porthole/, 'the watcher joined');
    return {
      hosts: [{ id: 'irc', name: 'IRC', target: `tcp://127.0.0.1:${irc.port}`, input: 'line' }],
    };
  },
  {
    ready: ({ browser: chromium }) =>
      chromium.context.grantPermissions(['clipboard-read', 'clipboard-write']),
  },
);

test('ngIRCd in line mode: plain input line, sent lines shown once, a 30-line paste is 30 messages', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}/?host=irc`);
  const input = page.locator('#line-input');
  await input.waitFor();
  for (const line of ['NICK porthole', 'USER porthole 0 * :Porthole user', 'JOIN #porthole']) {
    await input.fill(line);
    await input.press('Enter');
  }
  await waitForScreen(page, /366 porthole #porthole/, 10_000);
  assert.equal(await input.getAttribute('type'), 'text');
  const screen = await screenText(page);
  assert.equal(screen.split('JOIN #porthole').length - 1, 1, 'no echo from the server, one local');
  const lines = Array.from({ length: 30 }, (_, i) => `PRIVMSG #porthole :pasted ${i + 1}`);
  page.on('dialog', (d) => void d.accept()); // "Send 30 lines?"
  await page.evaluate((t) => navigator.clipboard.writeText(t), lines.join('\n'));
  await input.focus();
  await page.keyboard.press('Control+V');
  const deadline = Date.now() + 20_000;
  while (!heard.includes(':pasted 30') && Date.now() < deadline) await page.waitForTimeout(100);
  const got = [...heard.matchAll(/:porthole!\S+ PRIVMSG #porthole :(pasted \d+)/g)].map(
    (m) => m[1],
  );
  assert.deepEqual(
    got,
    lines.map((l) => l.replace('PRIVMSG #porthole :', '')),
  );
  assert.doesNotMatch(await screenText(page), /Excess Flood|ERROR/);
  await page.close();
});
