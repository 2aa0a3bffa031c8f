/**
 * Issue 16 in real Chromium: two Porthole instances share a real redis-server and advertise
 * their addresses in it. A watch link made on instance A, opened on instance B's address (as
 * behind a balancer that sends it anywhere), shows A's session live: B relays the page's
 * WebSocket to A (forward.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startRedis } from '../helpers/instances.ts';
import { e2eSuite, screenshot, startServer, waitForScreen, waitForState } from './helpers.ts';

const hosts = [
  {
    id: 'demo',
    name: 'Porthole demo',
    target: 'builtin:demo',
    input: 'raw' as const,
    share: true,
    watchers: 'anyone' as const,
  },
];
let redisUrl = '';
// `advertise` without a port: each instance fills in the port it listens on. Both write it
// the same way, so each names itself (`instanceId`) rather than deriving an id from it.
const instance = (instanceId: string) => ({
  hosts,
  instanceId,
  store: { url: redisUrl, advertise: '127.0.0.1' },
});

// The suite's own server is instance A; B is started beside it on the same store.
const suite = e2eSuite(async (keep) => {
  const redis = await startRedis();
  keep({ close: () => redis.stop() });
  redisUrl = redis.url;
  return instance('a');
});

test('a watch link of instance A opened on instance B shows A’s session live', async (t) => {
  const b = await startServer(instance('b'));
  t.after(() => b.close());
  const errors: string[] = [];
  const owner = await suite.browser.context.newPage();
  owner.on('pageerror', (err) => errors.push(err.message));
  await owner.goto(`${suite.server.url}/?host=demo`);
  await waitForState(owner, 'connected');
  await waitForScreen(owner, 'Welcome to the Porthole demo host');
  await owner.locator('#btn-share').click();
  const url = owner.locator('#share-url');
  await url.filter({ hasText: '/watch/' }).waitFor();
  const link = new URL((await url.textContent()) ?? '');
  assert.equal(link.port, String(suite.server.port), 'the link is made on A');
  assert.match(link.pathname, /^\/watch\/a\.[A-Za-z0-9_-]{22}$/);
  await owner.keyboard.press('Escape');

  const spectator = await suite.browser.context.newPage();
  spectator.on('pageerror', (err) => errors.push(err.message));
  await spectator.goto(`${b.url}${link.pathname}`);
  await waitForScreen(spectator, 'Welcome to the Porthole demo host');
  await owner.locator('#terminal').click();
  await owner.keyboard.type('seen through B');
  await owner.keyboard.press('Enter');
  await waitForScreen(spectator, 'You typed: seen through B');
  assert.equal(await spectator.locator('#status-state').getAttribute('data-state'), 'connected');
  assert.equal(await owner.locator('#status-viewers').textContent(), '1 watching');
  await screenshot(spectator, 'forward-spectator-on-b');
  assert.deepEqual(errors, []);
  await spectator.close();
  await owner.close();
});
