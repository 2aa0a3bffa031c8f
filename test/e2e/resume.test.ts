/**
 * Resume in real Chromium (issue 13): the network between the page and Porthole drops (a
 * TCP relay in between cuts both sides, no close frame). The page says it is reconnecting
 * and for how long the session is held, resumes by itself, and shows the output it missed,
 * every line once: same backend connection, nothing lost, nothing doubled.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { type FakeBackend, startBackend } from '../helpers/backends.ts';
import { e2eSuite, screenshot, screenText, waitForScreen, waitForState } from './helpers.ts';

let host: FakeBackend;
let relay: Server;
let relayPort = 0;
const relayed = new Set<Socket>();
let produced = 0;

/** A host that prints a numbered line every 150 ms, whether anyone reads or not. */
function tickingHost(): Promise<FakeBackend> {
  return startBackend((socket) => {
    const timer = setInterval(() => {
      produced++;
      socket.write(`line ${produced}\r\n`);
    }, 150);
    socket.on('close', () => clearInterval(timer));
  });
}

/** Browser ⇄ relay ⇄ Porthole; `cut()` destroys every connection through it (a network drop). */
async function startRelay(target: number): Promise<void> {
  relay = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    relayed.add(client);
    relayed.add(upstream);
    for (const s of [client, upstream]) {
      s.on('error', () => {});
      s.on('close', () => relayed.delete(s));
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const address = relay.address();
  relayPort = typeof address === 'object' && address !== null ? address.port : 0;
}

function cut(): void {
  for (const s of [...relayed]) s.destroy();
}

const suite = e2eSuite(
  async (keep) => {
    host = keep(await tickingHost());
    // Closed after the server: the relay's listener, then whatever still runs through it.
    keep({
      close: () => {
        relay?.close();
        cut();
      },
    });
    return {
      hosts: [{ id: 'ticker', name: 'Ticker', target: host.target, input: 'line' }],
      limits: { resume: '2m' },
    };
  },
  { ready: (s) => startRelay(s.server.port) },
);

test('the client resumes by itself after its connection is cut, showing the missed lines once', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`http://127.0.0.1:${relayPort}/?host=ticker`);
  await waitForState(page, 'connected');
  await waitForScreen(page, /line 5\b/);
  cut();
  const cutAt = produced;
  await page
    .locator('#status-state-text', { hasText: /Reconnecting… \(held for \d:\d\d\)/ })
    .waitFor({ timeout: 5000 });
  await screenshot(page, 'resume-held');
  await waitForState(page, 'connected', 15_000);
  const resumedAt = produced;
  assert.ok(resumedAt > cutAt + 2, 'the host kept printing while the page was away');
  await waitForScreen(page, new RegExp(`line ${resumedAt + 2}\\b`), 5000);
  const screen = await screenText(page);
  await screenshot(page, 'resume-resumed');
  const numbers = [...screen.matchAll(/line (\d+)/g)].map((m) => Number(m[1]));
  for (let i = 1; i < numbers.length; i++) {
    assert.equal(numbers[i], (numbers[i - 1] ?? 0) + 1, `consecutive, once each:\n${screen}`);
  }
  assert.ok(
    numbers.includes(cutAt + 1) && numbers.includes(resumedAt),
    'the missed lines are shown',
  );
  assert.equal(host.sockets.length, 1, 'the same backend connection');
  assert.equal(suite.server.porthole.sessions.resumes, 1);
  await page.close();
});
