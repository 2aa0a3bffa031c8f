/**
 * `npm run bench:browser`: a backend floods typical MUD/ls-style coloured output for 30 s
 * into the real client in headless Chromium (Debian's chromium, DOM renderer). Reports the
 * rate the terminal actually drew (bytes the server sent: it never runs more than one ack
 * window ahead of xterm.js), the page's JS heap and ArrayBuffer backing store over time
 * (CDP, after a forced GC), and how long keystrokes typed during the flood take to reach
 * the backend. Writes bench-results/browser.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../server/paths.ts';
import { launchBrowser, startServer } from '../test/e2e/helpers.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' } } });
const SECONDS = Number(values.seconds);
const SAMPLE_MS = 2000;
const KEY_EVERY_MS = 3000;

function typicalChunk(): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) {
    const k = i % 10;
    if (k < 4)
      lines.push(
        `The ${'\x1b[1;33m'}goblin${'\x1b[0m'} swings at you and ${'\x1b[31m'}misses${'\x1b[0m'}. You feel the cold wind from the north.`,
      );
    else if (k < 7)
      lines.push(
        `\x1b[01;34mdirectory-${i}\x1b[0m  \x1b[01;32mscript-${i}.sh\x1b[0m  notes-${i}.txt  \x1b[01;36mlink-${i}\x1b[0m`,
      );
    else if (k < 9)
      lines.push(
        `\x1b[38;5;${(i * 7) % 256}m[channel]\x1b[0m Someone says: is anyone going to the arena tonight?`,
      );
    else
      lines.push(
        `\x1b[38;2;${i % 256};${(i * 3) % 256};200mtruecolor status line ${i}\x1b[0m HP 120/120 MP 80/95`,
      );
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`);
}

interface Sample {
  t: number;
  bytesDown: number;
  heapUsed: number;
  backingStore: number;
}

async function main(): Promise<void> {
  const chunk = typicalChunk();
  const keyArrivals: number[] = [];
  let sentAt = 0;
  const flood = createServer((s: Socket) => {
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      if (d.includes(0x78) && sentAt > 0) {
        keyArrivals.push(performance.now() - sentAt);
        sentAt = 0;
      }
    });
    const pump = (): void => {
      while (!s.destroyed && s.write(chunk)) {}
    };
    s.on('drain', pump);
    pump();
  });
  await new Promise<void>((r) => flood.listen(0, '127.0.0.1', r));
  const address = flood.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const server = await startServer({
    hosts: [
      { id: 'flood', name: 'Flood', target: `tcp://127.0.0.1:${address.port}`, input: 'raw' },
    ],
  });
  const browser = await launchBrowser();
  const page = await browser.context.newPage();
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  const heap = async (): Promise<{ heapUsed: number; backingStore: number }> => {
    await cdp.send('HeapProfiler.collectGarbage');
    const u = (await cdp.send('Runtime.getHeapUsage')) as {
      usedSize: number;
      backingStorageSize?: number;
    };
    return { heapUsed: u.usedSize, backingStore: u.backingStorageSize ?? 0 };
  };
  const sessions: { stats: { bytesDown: number } }[] = [];
  const bytesDown = (): number => sessions.reduce((sum, s) => sum + s.stats.bytesDown, 0);
  server.porthole.on('session', (s) => sessions.push(s));
  await page.goto(`${server.url}/?host=flood`);
  await page
    .locator('#app[data-state="connected"]')
    .waitFor({ state: 'attached', timeout: 15_000 });
  await page.locator('.xterm-helper-textarea').focus();
  const start = performance.now();
  const samples: Sample[] = [];
  let nextKey = start + KEY_EVERY_MS;
  while (performance.now() - start < SECONDS * 1000) {
    const now = performance.now();
    if (now >= nextKey && sentAt === 0) {
      sentAt = performance.now();
      await page.keyboard.type('x');
      nextKey = now + KEY_EVERY_MS;
    }
    if (samples.length === 0 || now - (samples.at(-1)?.t ?? 0) - start >= SAMPLE_MS) {
      samples.push({ t: now - start, bytesDown: bytesDown(), ...(await heap()) });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const end = { t: performance.now() - start, bytesDown: bytesDown(), ...(await heap()) };
  samples.push(end);
  await browser.close();
  await server.close();
  flood.close();

  // Throughput after a 5 s warm-up (V8 and the renderer start slow).
  const warm = samples.find((s) => s.t >= 5000) ?? samples[0];
  const mbps =
    warm === undefined ? 0 : (end.bytesDown - warm.bytesDown) / 1e6 / ((end.t - warm.t) / 1000);
  const afterWarm = samples.filter((s) => s.t >= 5000);
  const heaps = afterWarm.map((s) => s.heapUsed + s.backingStore);
  const first = heaps[0] ?? 0;
  const last = heaps.at(-1) ?? 0;
  const sorted = [...keyArrivals].sort((a, b) => a - b);
  const result = {
    seconds: SECONDS,
    terminalMBps: Number(mbps.toFixed(1)),
    totalMB: Number((end.bytesDown / 1e6).toFixed(1)),
    heapMB: {
      afterWarmup: Number((first / 1e6).toFixed(2)),
      end: Number((last / 1e6).toFixed(2)),
      max: Number((Math.max(...heaps) / 1e6).toFixed(2)),
    },
    heapDriftPct: first > 0 ? Number((((last - first) / first) * 100).toFixed(1)) : 0,
    keystrokeMs: {
      n: sorted.length,
      p50: Math.round(sorted[Math.floor(sorted.length / 2)] ?? -1),
      max: Math.round(sorted.at(-1) ?? -1),
    },
    samples,
  };
  mkdirSync(join(PACKAGE_ROOT, 'bench-results'), { recursive: true });
  writeFileSync(
    join(PACKAGE_ROOT, 'bench-results', 'browser.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  const { samples: _omit, ...summary } = result;
  console.log(JSON.stringify(summary, null, 2));
}

await main();
