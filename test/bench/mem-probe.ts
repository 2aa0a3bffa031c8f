/**
 * Where a held session's memory goes: opens N echo sessions against an in-process Porthole
 * and reports heap and RSS growth per session, and the heaviest constructors in a heap
 * snapshot diff. A diagnostic for the `conns` RSS figure, not part of the bench run.
 * Usage: node --expose-gc --import tsx test/bench/mem-probe.ts [N]
 */
import { createServer } from 'node:net';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { WebSocket } from 'ws';
import { startProxy } from '../helpers/proxy.ts';

const n = Number(process.argv[2] ?? 2000);
const backend = createServer({ noDelay: true }, (s) => s.on('data', (c: Buffer) => s.write(c)));
await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
const address = backend.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;
const proxy = await startProxy({
  hosts: [{ id: 'echo', name: 'echo', target: `tcp://127.0.0.1:${port}` }],
  limits: {
    maxSessions: 100_000,
    maxSessionsPerIp: 100_000,
    maxSessionsPerUser: 100_000,
    upgradesPerIpPerMinute: 100_000_000,
    upgradeBurst: 100_000,
  },
  log: { level: 'silent' },
});
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const measure = (): { heap: number; rss: number; external: number } => {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: getHeapStatistics().used_heap_size, rss: m.rss, external: m.external + m.arrayBuffers };
};
const open = (): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`${proxy.url}/ws?host=echo`, 'porthole.v1', { origin: proxy.origin });
    ws.on('open', () => ws.send(Buffer.alloc(32, 'p')));
    ws.on('message', (_d, isBinary) => {
      if (isBinary) resolve(ws);
    });
    ws.on('error', reject);
  });
const warm = await Promise.all(Array.from({ length: 200 }, open));
for (const ws of warm) ws.terminate();
await new Promise((r) => setTimeout(r, 500));
const before = measure();
if (process.env.SNAP === '1') writeHeapSnapshot('/tmp/before.heapsnapshot');
const held: WebSocket[] = [];
for (let i = 0; i < n; i += 100) held.push(...(await Promise.all(Array.from({ length: 100 }, open))));
await new Promise((r) => setTimeout(r, 500));
const after = measure();
if (process.env.SNAP === '1') writeHeapSnapshot('/tmp/after.heapsnapshot');
// Both ends live in this process: the client's WebSocket and the backend's socket count too.
const per = (k: 'heap' | 'rss' | 'external'): number => Math.round((after[k] - before[k]) / n);
process.stdout.write(
  `${n} sessions, per session incl. client+backend ends: heap ${per('heap')} B, external ${per('external')} B, rss ${per('rss')} B\n`,
);
for (const ws of held) ws.terminate();
await proxy.close();
backend.close();
