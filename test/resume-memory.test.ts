/**
 * Issue 13: memory stays bounded with 1 000 detached sessions whose replay rings are full.
 * Porthole runs in its own process; each session's host floods, its browser drops without a
 * close frame, the ring fills and the host is paused. The server's RSS grows by about the
 * rings and no more. PORTHOLE_RING=1MiB measures the default ring size (1 GB; not in CI).
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { SUBPROTOCOL } from '../shared/protocol.ts';
import { floodBackend } from './helpers/backends.ts';
import { startProxyProcess } from './helpers/proxy-process.ts';
import { sleep } from './helpers/security.ts';

const SESSIONS = 1000;
const RING = process.env.PORTHOLE_RING ?? '64KiB';
const RING_BYTES = Number.parseInt(RING, 10) * (RING.endsWith('MiB') ? 1024 * 1024 : 1024);
const MiB = 1024 * 1024;

test(`resume: ${SESSIONS} detached sessions with full ${RING} rings stay within their bound`, async (t) => {
  const backend = await floodBackend(16 * 1024);
  const proxy = await startProxyProcess({
    hosts: [{ id: 'flood', name: 'Flood', target: backend.target }],
    limits: {
      resume: '10m',
      resumeBufferBytes: RING,
      maxSessions: SESSIONS + 100,
      maxSessionsPerIp: SESSIONS + 100,
      upgradesPerIpPerMinute: 100_000,
      upgradeBurst: SESSIONS + 100,
      highWaterBytes: '32KiB',
      lowWaterBytes: '16KiB',
    },
  });
  t.after(async () => {
    await proxy.close();
    await backend.close();
  });
  const open = async (): Promise<WebSocket> => {
    const ws = new WebSocket(`${proxy.url}/ws?host=flood`, SUBPROTOCOL, { origin: proxy.origin });
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('error', reject);
    });
    return ws;
  };
  // Warm up, then the baseline.
  const warm = await open();
  warm.close(1000);
  await sleep(1000);
  const baseline = proxy.rss();
  const clients: WebSocket[] = [];
  for (let i = 0; i < SESSIONS; i += 50) {
    clients.push(...(await Promise.all(Array.from({ length: 50 }, open))));
  }
  // Every browser drops without a close frame; the sessions detach and fill their rings.
  for (const ws of clients) (ws as unknown as { _socket: Socket })._socket.destroy();
  // Until the rings are full and every host is paused: RSS stops growing (at most a minute).
  let held = proxy.rss();
  let later = held;
  for (let waited = 0; waited < 60_000; waited += 2000) {
    await sleep(2000);
    later = proxy.rss();
    if (later - held < 8 * MiB && waited >= 4000) break;
    held = later;
  }
  const perSession = (held - baseline) / SESSIONS;
  t.diagnostic(
    `${SESSIONS} detached sessions, ${RING} rings: RSS ${(baseline / MiB).toFixed(0)} → ` +
      `${(held / MiB).toFixed(0)} MiB (${(perSession / 1024).toFixed(0)} KiB per session), ` +
      `${(later / MiB).toFixed(0)} MiB 2 s later`,
  );
  // The ring, its one read past full, the sockets and the session: well under 2 rings + 256 KiB.
  assert.ok(perSession < 2 * RING_BYTES + 256 * 1024, `${(perSession / 1024).toFixed(0)} KiB`);
  assert.ok(later < held + 32 * MiB, 'paused, not growing');
});
