/**
 * An SSH host in real Chromium (issue 15): the picker lists it like the others, the password
 * is typed in the terminal (nothing of it shown), `top` runs full-screen, and a smaller window
 * reaches the PTY as a window-change (`stty size` follows the terminal's rows).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SSH_USER, type Sshd, startSshd } from '../helpers/sshd.ts';
import { e2eSuite, screenshot, screenText, waitForScreen, waitForState } from './helpers.ts';

let sshd: Sshd;

const suite = e2eSuite(async (keep) => {
  sshd = keep(await startSshd());
  return {
    hosts: [
      { id: 'demo', name: 'Porthole demo', target: 'builtin:demo', input: 'raw' },
      {
        id: 'shell',
        name: 'Test shell (SSH)',
        description: 'OpenSSH on loopback',
        tags: ['ssh'],
        target: sshd.target,
        hostKey: sshd.knownHostsLine,
        user: SSH_USER,
      },
    ],
  };
});

/** Rows the terminal shows (DOM renderer). */
async function terminalRows(page: import('playwright-core').Page): Promise<number> {
  return page.locator('.xterm-rows > div').count();
}

test('SSH: log in with a typed password, run top, resize the window', async () => {
  const page = await suite.browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(suite.server.url);
  const option = page.getByRole('option', { name: /Test shell \(SSH\)/ });
  await option.waitFor();
  assert.match((await option.textContent()) ?? '', /ssh/);
  await screenshot(page, 'ssh-picker');
  await option.click();
  await waitForState(page, 'connected');
  await waitForScreen(page, `${SSH_USER}@127.0.0.1's password:`, 15_000);
  await page.keyboard.type(sshd.password);
  await page.keyboard.press('Enter');
  await waitForScreen(page, '$', 15_000);
  assert.ok(!(await screenText(page)).includes(sshd.password), 'the password is not shown');

  await page.keyboard.type('top -d 1');
  await page.keyboard.press('Enter');
  await waitForScreen(page, 'load average', 15_000);
  await new Promise((r) => setTimeout(r, 1200)); // a refresh or two
  await screenshot(page, 'ssh-top');
  const before = await terminalRows(page);

  await page.setViewportSize({ width: 860, height: 520 });
  await new Promise((r) => setTimeout(r, 1500)); // fit, resize message, window-change, redraw
  await waitForScreen(page, 'load average', 15_000);
  await screenshot(page, 'ssh-top-resized');
  const after = await terminalRows(page);
  assert.ok(after < before, `the terminal shrank (${before} → ${after} rows)`);

  await page.keyboard.type('q');
  await page.keyboard.type("stty size | sed 's/^/SIZE=/'");
  await page.keyboard.press('Enter');
  // The echoed command line holds "SIZE=" too: wait for the numbers stty prints.
  await waitForScreen(page, /SIZE=\d+ \d+/, 15_000);
  const size = /SIZE=(\d+) (\d+)/.exec(await screenText(page));
  assert.equal(Number(size?.[1]), after, 'the PTY has as many rows as the terminal');
  assert.deepEqual(errors, []);
  await page.close();
});
