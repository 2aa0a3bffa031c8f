/**
 * Issue 9: control frames must not escape flow control. Hostile telnet hosts flood `IAC GA`
 * (plain and inside MCCP2) and GMCP at Porthole, running in its own process; browsers that
 * read (and acknowledge like the real client) and browsers that never read. The server's
 * RSS stays within the per-session bound, and a canary session's first bytes arrive within
 * a second throughout. Before the fix the process grew by gigabytes and the canary waited
 * for 11.7 s.
 *
 * The flood lasts 10 s (the 30 s with PORTHOLE_FLOOD_SECONDS=30): long enough for
 * unbounded growth to show by hundreds of megabytes, short enough for CI.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { createDeflate } from 'node:zlib';
import { WebSocket } from 'ws';
import { Cmd, Opt } from '../server/telnet/codes.ts';
import { countsInWindow, utf8Length } from '../shared/flow-control.ts';
import { SUBPROTOCOL } from '../shared/protocol.ts';
import { type FakeBackend, startBackend } from './helpers/backends.ts';
import { type ProxyProcess, startProxyProcess } from './helpers/proxy-process.ts';
import { rawSession } from './helpers/raw-ws.ts';
import { sleep } from './helpers/security.ts';

const MiB = 1024 * 1024;
const FLOOD_MS = Number(process.env.PORTHOLE_FLOOD_SECONDS ?? 10) * 1000;
const CAP = 4 * MiB; // limits.sessionBufferCapBytes (default)
const { IAC, GA, SB, SE, WILL, DO } = Cmd;

/** Writes `next()` as fast as the socket drains, until it closes. */
function pump(out: NodeJS.WritableStream & { destroyed: boolean }, next: () => Buffer): void {
  const go = (): void => {
    while (!out.destroyed && out.write(next())) {}
  };
  out.on('drain', go);
  go();
}

/** Waits until the peer sends `IAC DO option`, then runs `then`. */
function onDo(socket: Socket, option: number, then: () => void): void {
  let seen = Buffer.alloc(0);
  const listener = (c: Buffer): void => {
    seen = Buffer.concat([seen, c]);
    if (seen.includes(Buffer.from([IAC, DO, option]))) {
      socket.off('data', listener);
      then();
    }
  };
  socket.on('data', listener);
  socket.write(Uint8Array.of(IAC, WILL, option));
}

const GA_CHUNK = Buffer.alloc(64 * 1024, Uint8Array.of(IAC, GA));

const gaFlood = (): Promise<FakeBackend> => startBackend((s) => pump(s, () => GA_CHUNK));

/** MCCP2 stream of GAs mixed with incompressible bytes (about 2:1, so no read is a "bomb"). */
function mccpFlood(): Promise<FakeBackend> {
  const noise = randomBytes(MiB);
  const gas = Buffer.alloc(512, Uint8Array.of(IAC, GA));
  let at = 0;
  const piece = (): Buffer => {
    at = (at + 512) % noise.length;
    return Buffer.concat([gas, noise.subarray(at, at + 512)]);
  };
  return startBackend((s) =>
    onDo(s, Opt.MCCP2, () => {
      s.write(Uint8Array.of(IAC, SB, Opt.MCCP2, IAC, SE));
      const z = createDeflate();
      z.pipe(s);
      s.on('close', () => z.destroy());
      pump(z, piece);
    }),
  );
}

function gmcpFlood(): Promise<FakeBackend> {
  const one = Buffer.concat([
    Uint8Array.of(IAC, SB, Opt.GMCP),
    Buffer.from('Char.Vitals {"hp":100,"mp":50}'),
    Uint8Array.of(IAC, SE),
  ]);
  const chunk = Buffer.concat(Array(2000).fill(one));
  return startBackend((s) => onDo(s, Opt.GMCP, () => pump(s, () => chunk)));
}

const bannerBackend = (): Promise<FakeBackend> =>
  startBackend((s) => {
    s.write('ready\r\n');
    s.on('data', () => {});
  });

interface Reader {
  controls: number;
  bytes: number;
  closed: { code: number } | undefined;
  close(): void;
}

/** A browser that reads everything and acknowledges it as client/connection.ts does. */
async function readingBrowser(proxy: ProxyProcess, host: string): Promise<Reader> {
  const ws = new WebSocket(`${proxy.url}/ws?host=${host}`, SUBPROTOCOL, { origin: proxy.origin });
  const r: Reader = { controls: 0, bytes: 0, closed: undefined, close: () => ws.terminate() };
  let pending = 0;
  const ack = (): void => {
    if (pending > 0 && ws.readyState === ws.OPEN)
      ws.send(JSON.stringify({ type: 'ack', bytes: pending }));
    pending = 0;
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      r.bytes += data.length;
      pending += data.length;
    } else {
      const text = data.toString('utf8');
      const type = (JSON.parse(text) as { type: string }).type;
      if (countsInWindow(type)) {
        r.controls++;
        pending += utf8Length(text);
      }
    }
    if (pending >= 64 * 1024) ack();
  });
  const timer = setInterval(ack, 100);
  ws.on('close', (code: number) => {
    clearInterval(timer);
    r.closed = { code };
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return r;
}

/** Time from opening a session to its first terminal byte. */
async function canaryFirstBytes(proxy: ProxyProcess): Promise<number> {
  const started = performance.now();
  const ws = new WebSocket(`${proxy.url}/ws?host=canary`, 'binary', { origin: proxy.origin });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('error', reject);
      setTimeout(() => reject(new Error('no first bytes within 10 s')), 10_000);
    });
    return performance.now() - started;
  } finally {
    ws.terminate();
  }
}

test('C21-C23: GA, MCCP2 and GMCP floods: RSS stays within the per-session bound; the canary answers within 1 s', async (t) => {
  const backends = {
    ga: await gaFlood(),
    mccp: await mccpFlood(),
    gmcp: await gmcpFlood(),
    canary: await bannerBackend(),
  };
  const proxy = await startProxyProcess({
    hosts: [
      { id: 'ga', name: 'GA', target: `telnet://127.0.0.1:${backends.ga.port}` },
      { id: 'mccp', name: 'MCCP', target: `telnet://127.0.0.1:${backends.mccp.port}` },
      { id: 'gmcp', name: 'GMCP', target: `telnet://127.0.0.1:${backends.gmcp.port}` },
      { id: 'canary', name: 'Canary', target: backends.canary.target },
    ],
  });
  t.after(async () => {
    await proxy.close();
    for (const b of Object.values(backends)) await b.close();
  });
  // Warm up (first session, JIT), then take the baseline.
  await canaryFirstBytes(proxy);
  await sleep(500);
  const baseline = proxy.rss();
  const hosts = ['ga', 'mccp', 'gmcp'] as const;
  const readers = await Promise.all(hosts.map((h) => readingBrowser(proxy, h)));
  const stalled = await Promise.all(
    hosts.map((h) => rawSession(proxy.port, { path: `/ws?host=${h}`, protocol: SUBPROTOCOL })),
  );
  for (const { socket } of stalled) socket.pause();
  t.after(() => {
    for (const r of readers) r.close();
    for (const { socket } of stalled) socket.destroy();
  });
  const sessions = readers.length + stalled.length;
  const bound = baseline + sessions * CAP + 64 * MiB;
  let peak = baseline;
  const waits: number[] = [];
  const end = Date.now() + FLOOD_MS;
  while (Date.now() < end) {
    waits.push(await canaryFirstBytes(proxy));
    for (let i = 0; i < 8; i++) {
      peak = Math.max(peak, proxy.rss());
      // Stop early rather than let a regression eat the machine.
      assert.ok(
        peak < bound,
        `server RSS ${(peak / MiB).toFixed(0)} MiB over ${(bound / MiB).toFixed(0)} MiB`,
      );
      await sleep(250);
    }
  }
  const seconds = FLOOD_MS / 1000;
  t.diagnostic(
    `baseline ${(baseline / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB, ` +
      `canary first bytes ${waits.map((w) => w.toFixed(0)).join(', ')} ms; ` +
      `control frames read: ${readers.map((r) => r.controls).join(', ')}`,
  );
  for (const w of waits) assert.ok(w < 1000, `canary first bytes after ${w.toFixed(0)} ms`);
  // Flooders are paced, not dropped.
  for (const r of readers) assert.equal(r.closed, undefined, 'a reading flooder stays connected');
  for (const { socket } of stalled)
    assert.ok(!socket.destroyed, 'a stalled flooder stays connected');
  // GA floods coalesce: far fewer prompt frames than the millions of GAs sent.
  const [ga, mccp, gmcp] = readers;
  assert.ok((ga?.controls ?? 0) < 100_000, `GA flood: ${ga?.controls} prompt frames`);
  assert.ok((mccp?.controls ?? 0) < 100_000, `MCCP2 flood: ${mccp?.controls} prompt frames`);
  // GMCP cannot coalesce: it is paced at 1000 messages a second per session.
  assert.ok((gmcp?.controls ?? 0) > 0, 'GMCP still flows');
  assert.ok(
    (gmcp?.controls ?? 0) <= 3000 * (seconds + 1),
    `GMCP flood: ${gmcp?.controls} frames in ${seconds} s`,
  );
});
