/**
 * Issue 13 in real Chromium: the owner shares a live session, a spectator's page shows the
 * owner's output live while typing in it changes nothing; the recorded session then plays
 * on the replay page (play/pause, seek) for an admin.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { e2eSuite, screenshot, screenText, waitForScreen, waitForState } from './helpers.ts';

const ADMIN = 'admin-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'porthole-e2e-rec-'));

const suite = e2eSuite((keep) => {
  keep({ close: () => rmSync(dir, { recursive: true, force: true }) });
  return {
    auth: { mode: 'token', tokens: [{ name: 'root', token: ADMIN, groups: ['admins'] }] },
    recording: { dir },
    // Links then start with `e2e.` (as behind several instances): the page must take them.
    instanceId: 'e2e',
    hosts: [
      {
        id: 'demo',
        name: 'Porthole demo',
        target: 'builtin:demo',
        input: 'raw',
        share: true,
        watchers: 'anyone',
        record: true,
      },
    ],
  };
});

let recordingId = '';

test('a spectator page shows the owner’s output live; typing in it changes nothing', async () => {
  const owner = await suite.browser.context.newPage();
  const errors: string[] = [];
  owner.on('pageerror', (err) => errors.push(err.message));
  await owner.goto(`${suite.server.url}/?host=demo&token=${ADMIN}`);
  await waitForState(owner, 'connected');
  const first = await waitForScreen(owner, 'Welcome to the Porthole demo host');
  // The user is told before the host's first byte.
  assert.ok(first.indexOf('This session is recorded') < first.indexOf('Welcome'), first);
  assert.equal(await owner.locator('#status-rec').textContent(), '● REC');
  await owner.locator('#btn-share').click();
  const url = owner.locator('#share-url');
  await url.filter({ hasText: '/watch/' }).waitFor();
  const link = (await url.textContent()) ?? '';
  assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/watch\/e2e\.[A-Za-z0-9_-]{22}$/);

  const spectator = await suite.browser.context.newPage();
  spectator.on('pageerror', (err) => errors.push(err.message));
  await spectator.goto(link);
  // The replay rebuilds what the owner already had on screen.
  await waitForScreen(spectator, 'Welcome to the Porthole demo host');
  await owner.locator('#share-status').filter({ hasText: '1 person is watching' }).waitFor();
  assert.equal(await owner.locator('#status-viewers').textContent(), '1 watching');

  await owner.keyboard.press('Escape');
  // The spectator's terminal follows the owner's size.
  const rows = (page: import('playwright-core').Page): Promise<number> =>
    page.locator('.xterm-rows > div').count();
  await owner.setViewportSize({ width: 900, height: 560 });
  let same = false;
  for (let i = 0; i < 100 && !same; i++) {
    same = (await rows(owner)) === (await rows(spectator)) && (await rows(owner)) < 30;
    if (!same) await owner.waitForTimeout(50);
  }
  assert.ok(same, `owner ${await rows(owner)} rows, spectator ${await rows(spectator)}`);
  await owner.locator('#terminal').click();
  await owner.keyboard.type('hello from the owner');
  await owner.keyboard.press('Enter');
  await waitForScreen(spectator, 'You typed: hello from the owner');

  // The spectator types: nothing reaches the host, nothing is closed.
  await spectator.locator('#terminal').click();
  await spectator.keyboard.type('rm -rf spectator');
  await spectator.keyboard.press('Enter');
  await owner.keyboard.type('second line');
  await owner.keyboard.press('Enter');
  await waitForScreen(spectator, 'You typed: second line');
  assert.ok(!(await screenText(owner)).includes('spectator'));
  assert.ok(!(await screenText(spectator)).includes('rm -rf'));
  assert.equal(await spectator.locator('#status-state').getAttribute('data-state'), 'connected');
  assert.equal(await spectator.locator('#viewer-title').textContent(), 'Porthole demo');
  await screenshot(spectator, 'share-spectator');
  await owner.locator('#btn-share').click();
  await screenshot(owner, 'share-owner-dialog');

  // Stop sharing: the spectator is told, in words.
  await owner.locator('#share-stop').click();
  await spectator
    .locator('#viewer-detail')
    .filter({ hasText: 'The owner stopped sharing' })
    .waitFor();
  await screenshot(spectator, 'share-spectator-ended');
  await owner.keyboard.press('Escape');
  await owner.locator('#btn-disconnect').click();
  await waitForState(owner, 'closed');
  assert.deepEqual(errors, []);
  await spectator.close();
  await owner.close();

  // The recording is complete once the session is gone.
  for (let i = 0; i < 100 && recordingId === ''; i++) {
    const res = await fetch(`${suite.server.url}/api/recordings`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const body = (await res.json()) as { recordings: { id: string; live: boolean }[] };
    recordingId = body.recordings.find((r) => !r.live)?.id ?? '';
    if (recordingId === '') await new Promise((r) => setTimeout(r, 50));
  }
  assert.notEqual(recordingId, '');
});

test('the replay page plays the recording: play/pause, seek, download', async () => {
  assert.notEqual(recordingId, '', 'the first test recorded a session');
  const page = await suite.browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  // The list at /replay/ links to each recording's player.
  await page.goto(`${suite.server.url}/replay/?token=${ADMIN}`);
  const row = page.locator('#rec-rows a', { hasText: 'Porthole demo (root)' });
  await row.waitFor();
  assert.equal(await page.locator('#rec-rows tr').count(), 1);
  await screenshot(page, 'replay-list');
  await row.click();
  await page.waitForURL(`**/replay/${recordingId}`);
  await page.locator('html[data-ready="true"]').waitFor();
  await waitForScreen(page, 'You typed: second line', 20_000);
  await screenshot(page, 'replay-end');
  assert.match((await page.locator('#viewer-title').textContent()) ?? '', /Porthole demo \(root\)/);
  assert.equal(await page.locator('#player-play').textContent(), 'Play', 'paused at the end');
  // Seek to the start: the screen is rebuilt with what had been received by then.
  await page.locator('#player-seek').fill('0');
  assert.ok(!(await screenText(page)).includes('You typed'));
  await page.locator('#player-play').click();
  await waitForScreen(page, 'You typed: hello from the owner', 20_000);
  await page.locator('#player-play').click();
  assert.equal(await page.locator('#player-play').textContent(), 'Play');
  assert.equal(
    await page.locator('#player-download').getAttribute('download'),
    `${recordingId}.cast`,
  );
  // Without the admin's token: the page says who may watch recordings.
  const other = await suite.browser.context.newPage();
  await other.goto(`${suite.server.url}/replay/${recordingId}`);
  await other.locator('#viewer-detail').filter({ hasText: 'Sign in' }).waitFor();
  assert.deepEqual(errors, []);
  await other.close();
  await page.close();
});
