/**
 * Where a held session's memory goes: an in-process Porthole, with the load client and the
 * echo backend in other processes, so the figures are the proxy's alone. Reports heap and
 * RSS growth per held session, as the bench sees them (before any forced GC) and after a
 * forced GC (what a session really keeps); SNAP=1 also writes heap snapshots before and after (diff them
 * by constructor to see what each session keeps). A diagnostic, not part of the bench run.
 * DETACH=1 then drops every browser without a close frame and reports what each detached
 * session (resume) keeps. Usage: node --expose-gc --import tsx bench/mem-probe.ts [N]
 */
import type { ChildProcess } from 'node:child_process';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import type { BackendMessage } from './backend-child.ts';
import type { LoadCommand, LoadMessage } from './load-child.ts';
import { forkTs, nextMessage } from './proc.ts';

const n = Number(process.argv[2] ?? 2000);
const backend = forkTs('backend-child.ts');
const load = forkTs('load-child.ts');
const { ports } = await nextMessage<Extract<BackendMessage, { type: 'ready' }>>(backend, 'ready');
// The emitted build, as in production: tsx's keep-names helper gives every closure an own
// `name` property, which would add about 3 KB per session that the real server never has.
const build = (file: string): string => new URL(`../build/server/${file}`, import.meta.url).href;
const { createPorthole } = (await import(build('app.js'))) as typeof import('../server/app.ts');
const { resolveConfig } = (await import(
  build('config/config.js')
)) as typeof import('../server/config/config.ts');
const porthole = createPorthole({
  config: resolveConfig({
    hosts: [{ id: 'echo', name: 'echo', target: `tcp://127.0.0.1:${ports.echo}` }],
    limits: {
      maxSessions: 100_000,
      maxSessionsPerIp: 100_000,
      maxSessionsPerUser: 100_000,
      upgradesPerIpPerMinute: 100_000_000,
      upgradeBurst: 100_000,
    },
    log: { level: 'silent' },
  }),
});
const address = await porthole.listen(0, '127.0.0.1');
const proxy = {
  url: `ws://127.0.0.1:${address.port}`,
  origin: `http://127.0.0.1:${address.port}`,
  close: () => porthole.close(200),
};
const ask = <T extends LoadMessage>(
  child: ChildProcess,
  cmd: LoadCommand,
  type: T['type'],
): Promise<T> => {
  const reply = nextMessage<T>(child, type);
  child.send(cmd);
  return reply;
};
const open = (count: number): Promise<LoadMessage> =>
  ask(
    load,
    { cmd: 'open', url: `${proxy.url}/ws?host=echo`, origin: proxy.origin, count, concurrency: 64 },
    'opened',
  );
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
interface Mem {
  heap: number;
  rss: number;
}
const read = (): Mem => ({
  heap: getHeapStatistics().used_heap_size,
  rss: process.memoryUsage().rss,
});
const measure = (): Mem => {
  gc();
  gc();
  return read();
};
await open(300);
await ask(load, { cmd: 'close' }, 'closed');
await new Promise((r) => setTimeout(r, 1000));
const before = measure();
if (process.env.SNAP === '1') writeHeapSnapshot('/tmp/before.heapsnapshot');
const opened = (await open(n)) as Extract<LoadMessage, { type: 'opened' }>;
await new Promise((r) => setTimeout(r, 1000));
// As the bench's `conns` sees it (garbage of the ramp not yet collected), then after a GC.
const loaded = read();
const after = measure();
if (process.env.SNAP === '1') writeHeapSnapshot('/tmp/after.heapsnapshot');
const held = opened.ok;
const per = (m: Mem, k: keyof Mem): number => Math.round((m[k] - before[k]) / held);
const line = (m: Mem): string => `heap ${per(m, 'heap')} B, rss ${per(m, 'rss')} B`;
process.stdout.write(
  `${held} of ${n} sessions held, per session (proxy only): ` +
    `${line(loaded)} before a forced GC; ${line(after)} after\n`,
);
if (process.env.DETACH === '1') {
  // The browsers vanish: with resume on, each session stays, detached, with its replay ring
  // (here the one 32-byte echo) until the resume window ends.
  await ask(load, { cmd: 'drop' }, 'closed');
  await new Promise((r) => setTimeout(r, 3000));
  const detached = measure();
  if (process.env.SNAP === '1') writeHeapSnapshot('/tmp/detached.heapsnapshot');
  process.stdout.write(
    `${porthole.sessions.size} detached sessions, per session: heap ${per(detached, 'heap')} B, rss ${per(detached, 'rss')} B\n`,
  );
}
await ask(load, { cmd: 'close' }, 'closed');
await proxy.close();
load.kill();
backend.kill();
