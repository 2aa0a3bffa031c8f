/**
 * The admins' page in real Chromium (issue 16): `/sessions/` lists a player's live session
 * (user, address, host, age, bytes, state), its End button ends it after a confirmation (the
 * player's page says an administrator ended it), and a non-admin is told the page is not
 * for them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { e2eSuite, screenshot, waitForScreen, waitForState } from './helpers.ts';

const ADMIN = 'admin-token-0123456789';
const PLAYER = 'player-token-0123456789';

const suite = e2eSuite(() => ({
  auth: {
    mode: 'token',
    tokens: [
      { name: 'root', token: ADMIN, groups: ['admins'] },
      { name: 'player', token: PLAYER, groups: ['players'] },
    ],
  },
  admins: { groups: ['admins'] },
  hosts: [{ id: 'demo', name: 'Porthole demo', target: 'builtin:demo', input: 'raw' }],
}));

test('an admin sees a player’s live session on /sessions/ and ends it; a player may not', async () => {
  const errors: string[] = [];
  const player = await suite.browser.context.newPage();
  player.on('pageerror', (err) => errors.push(err.message));
  await player.goto(`${suite.server.url}/?host=demo&token=${PLAYER}`);
  await waitForState(player, 'connected');
  await waitForScreen(player, 'Welcome to the Porthole demo host');

  const admin = await suite.browser.context.newPage();
  admin.on('pageerror', (err) => errors.push(err.message));
  await admin.goto(`${suite.server.url}/sessions/?token=${ADMIN}`);
  await admin.locator('html[data-ready="true"]').waitFor();
  const row = admin.locator('#sessions-rows tr');
  assert.equal(await row.count(), 1);
  const cells = await row.locator('td').allTextContents();
  assert.equal(cells[0], 'player');
  assert.match(cells[1] ?? '', /127\.0\.0\.1/);
  assert.equal(cells[2], 'demo');
  assert.equal(cells[3], 'just now');
  assert.match(cells[4] ?? '', /↓ \d+(\.\d+)? (B|kB)/, 'the demo banner went down');
  assert.equal(cells[5], 'connected');
  assert.equal(await admin.locator('#sessions-count').textContent(), '1 live session.');
  await screenshot(admin, 'admin-sessions');
  // On a phone each session is a card that fits the screen, End included.
  await admin.setViewportSize({ width: 390, height: 844 });
  await screenshot(admin, 'admin-sessions-phone');
  assert.ok(await admin.evaluate(() => document.documentElement.scrollWidth <= 390));
  const end = await row.locator('button', { hasText: 'End' }).boundingBox();
  assert.ok(end !== null && end.x + end.width <= 390, 'End is on screen without scrolling');
  await admin.setViewportSize({ width: 1280, height: 800 });

  // End asks first; dismissing it ends nothing.
  admin.once('dialog', (d) => void d.dismiss());
  await row.locator('button', { hasText: 'End' }).click();
  await new Promise((r) => setTimeout(r, 300));
  await waitForState(player, 'connected');
  assert.equal(await admin.locator('#sessions-rows tr').count(), 1);
  admin.once('dialog', (d) => {
    assert.match(d.message(), /End player’s session on demo\?/);
    void d.accept();
  });
  await row.locator('button', { hasText: 'End' }).click();
  await admin
    .locator('#sessions-count')
    .filter({ hasText: 'Ended player’s session on demo. No live sessions.' })
    .waitFor();
  assert.equal(await admin.locator('#sessions-rows tr').count(), 0);
  await waitForState(player, 'closed');
  await player.getByText('An administrator ended this session.').first().waitFor();
  await screenshot(player, 'admin-ended-player');

  // A player opening the page is told it is not for them, and sees no session.
  const curious = await suite.browser.context.newPage();
  await curious.goto(`${suite.server.url}/sessions/?token=${PLAYER}`);
  await curious
    .locator('#sessions-count')
    .filter({ hasText: 'Live sessions are only for the server’s admins.' })
    .waitFor();
  assert.equal(await curious.locator('#sessions-rows tr').count(), 0);
  assert.deepEqual(errors, []);
  for (const p of [player, admin, curious]) await p.close();
});
