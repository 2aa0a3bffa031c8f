/**
 * CPU cost that does not depend on the machine's load: the proxy (the emitted build, as in
 * `npm run bench`) runs under valgrind's callgrind, and each phase reports the instructions
 * the proxy executed, per session set up and per MiB moved. Wall-clock figures on a busy
 * machine are noise; set-up counts agree to about 10 % run to run, so an A/B of two builds
 * can be taken while other work runs (per MiB counts follow how the bytes get chunked,
 * which depends on timing: an indication only). The load client and the backends run in other processes
 * (and are not counted). Slow (valgrind runs the proxy some 50 times slower): use small
 * counts. Needs valgrind (Debian: valgrind). BENCH_SERVER_MAIN=path/to/main.js measures another
 * build (e.g. `git archive` of the commit before, built with tsc): run both at once for an A/B;
 * BENCH_NODE_ARGS adds node flags (e.g. `--heap-growing-percent=0`). `--relay naive` counts
 * the naive `ws` + `net` relay instead (build/bench/naive-relay.js, which `npm run bench`
 * builds; set-up only: it relays to the echo backend alone). `--keep` keeps callgrind's dumps
 * (one per phase, for callgrind_annotate: native functions by name, JIT code as "???").
 *
 *   node --import tsx bench/instructions.ts [--conns 1000] [--down 64] [--up 64] [--frame 64]
 *     [--mode v1|binary] [--level info] [--store] [--hold 30] [--relay porthole|naive] [--keep]
 *     [--warm 2000]
 *
 * `--hold S` counts, after the set-up, S seconds with the sessions held idle: the timers'
 * cost per held session (heartbeats; with `--store`, the slot renewals every slotTtl / 3).
 *
 * `--store` runs the proxy with `store: { url }` on a redis-server started here (Debian's,
 * on a free loopback port, stopped at the end): the A/B of what the store costs per session
 * set up and per MiB (redis-server's own instructions are not counted; the store's timeout is
 * raised to 30 s, as valgrind slows the proxy's event loop).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BackendMessage } from './backend-child.ts';
import type { LoadCommand, LoadMessage } from './load-child.ts';
import { NAIVE_RELAY_JS } from './peers.ts';
import { forkTs, nextMessage, ROOT } from './proc.ts';
import { startStore, storeMissing } from './store.ts';
import { openWs, runDown, runUp, type Stream } from './streams.ts';

const { values: flags } = parseArgs({
  options: {
    conns: { type: 'string', default: '1000' },
    down: { type: 'string', default: '64' },
    up: { type: 'string', default: '64' },
    frame: { type: 'string', default: '64' },
    mode: { type: 'string', default: 'v1' },
    level: { type: 'string', default: 'info' },
    relay: { type: 'string', default: 'porthole' },
    keep: { type: 'boolean', default: false },
    warm: { type: 'string', default: '2000' },
    store: { type: 'boolean', default: false },
    hold: { type: 'string', default: '0' },
  },
});
const MiB = 2 ** 20;
const naive = flags.relay === 'naive';
if (naive && (flags.down !== '0' || flags.up !== '0')) {
  throw new Error('--relay naive counts set-up only: add --down 0 --up 0');
}
const mode = flags.mode === 'binary' ? 'binary' : 'v1';
const tmp = mkdtempSync(join(tmpdir(), 'porthole-ir-'));
const backend = forkTs('backend-child.ts');
const load = forkTs('load-child.ts');
const { ports } = await nextMessage<Extract<BackendMessage, { type: 'ready' }>>(backend, 'ready');
const store = flags.store ? await startStore() : undefined;
if (flags.store && store === undefined) throw new Error(storeMissing);
const config = join(tmp, 'config.json');
writeFileSync(
  config,
  JSON.stringify({
    listen: { host: '127.0.0.1', port: 0 },
    log: { level: flags.level },
    ...(store === undefined ? {} : { store: { url: store.url, timeout: '30s' } }),
    limits: {
      headersTimeout: 15_000,
      maxSessions: 10_000,
      maxSessionsPerIp: 100_000,
      upgradesPerIpPerMinute: 100_000_000,
      upgradeBurst: 100_000,
      maxMessagesPerSecond: 100_000_000,
      maxBytesPerSecond: 2 ** 40,
    },
    hosts: Object.entries(ports).map(([id, port]) => ({
      id,
      name: id,
      target: `tcp://127.0.0.1:${port}`,
    })),
  }),
);
const proxy = spawn(
  'valgrind',
  [
    '--tool=callgrind',
    '--instr-atstart=no',
    '--separate-threads=yes',
    `--callgrind-out-file=${join(tmp, 'cg.out')}`,
    process.execPath,
    ...(process.env.BENCH_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? []),
    ...(naive
      ? [NAIVE_RELAY_JS, '0', String(ports.echo)]
      : [
          process.env.BENCH_SERVER_MAIN ?? join(ROOT, 'build', 'server', 'main.js'),
          '--config',
          config,
        ]),
  ],
  // The naive relay says where it listens on stdout, Porthole on stderr.
  { stdio: ['ignore', naive ? 'pipe' : 'ignore', naive ? 'ignore' : 'pipe'] },
);
const said = naive ? proxy.stdout : proxy.stderr;
const port = await new Promise<number>((resolve, reject) => {
  let seen = '';
  said?.on('data', (chunk: Buffer) => {
    seen += chunk.toString('utf8');
    const m = /(?:running at http:\/\/[^:]+|listening on [^:]+):(\d+)/.exec(seen);
    if (m?.[1] !== undefined) resolve(Number(m[1]));
  });
  proxy.once('exit', (code) => reject(new Error(`proxy exited (${code}): ${seen}`)));
});
said?.resume();
const control = (...args: string[]): void => {
  execFileSync('callgrind_control', [...args, String(proxy.pid)], { stdio: 'ignore' });
};
let dumps = 0;
/**
 * Instructions executed by the proxy while `work` ran: in all its threads, and in the main
 * thread alone (the event loop; V8's concurrent compiler, its GC helpers and libuv's
 * thread pool run in the others).
 */
async function count(work: () => Promise<unknown>): Promise<{ all: number; main: number }> {
  control('-z');
  await work();
  control('-d');
  dumps++;
  // --separate-threads: one file per thread, cg.out.<dump>-<thread>, thread 01 the main one.
  let all = 0;
  let main = 0;
  for (const f of readdirSync(tmp).filter((f) => f.startsWith(`cg.out.${dumps}-`))) {
    const text = readFileSync(join(tmp, f), 'utf8');
    const ir = Number(/^(?:summary|totals): (\d+)/m.exec(text)?.[1] ?? Number.NaN);
    all += ir;
    if (f.endsWith('-01')) main = ir;
  }
  return { all, main };
}
/** "1,234,567 instructions per session (main thread 1,000,000)". */
const per = ({ all, main }: { all: number; main: number }, n: number, unit: string): string =>
  `${Math.round(all / n).toLocaleString('en')} instructions per ${unit} (main thread ${Math.round(main / n).toLocaleString('en')})`;
const open = (count: number): Promise<LoadMessage> => {
  const cmd: LoadCommand = {
    cmd: 'open',
    url: `ws://127.0.0.1:${port}/ws?host=echo`,
    origin: `http://127.0.0.1:${port}`,
    count,
    concurrency: 16,
  };
  const reply = nextMessage<LoadMessage>(load, 'opened', 600_000);
  load.send(cmd);
  return reply;
};
const closeAll = (): Promise<LoadMessage> => {
  const reply = nextMessage<LoadMessage>(load, 'closed', 600_000);
  load.send({ cmd: 'close' } satisfies LoadCommand);
  return reply;
};
/** Under valgrind a handshake can outlast the proxy's 10 s header timeout (408): try again. */
async function connect(host: string): Promise<Stream> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openWs(port, host, mode);
    } catch (err) {
      if (attempt === 5) throw err;
    }
  }
}
const down = async (mib: number): Promise<void> => {
  await runDown(await connect('flood'), mib * MiB);
};
const up = async (mib: number): Promise<void> => {
  await runUp(await connect('sink'), mib * MiB, Number(flags.frame) * 1024);
};
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

try {
  // Warm-up with instrumentation on: the JIT settles before anything is counted.
  control('-i', 'on');
  // Enough sessions that the optimising compiler is done with the set-up path: with 200,
  // about half of the set-up count was TurboFan compiling it.
  await open(Number(flags.warm));
  await closeAll();
  await new Promise((r) => setTimeout(r, 5000)); // the closes finish (slowly, under valgrind)
  if (!naive) {
    await down(8);
    await up(8);
  }
  const conns = Number(flags.conns);
  if (conns > 0) {
    const ir = await count(() => open(conns));
    out(`set-up: ${per(ir, conns, 'session')}`);
    const holdS = Number(flags.hold);
    if (holdS > 0) {
      const idle = await count(() => new Promise((r) => setTimeout(r, holdS * 1000)));
      const perMin = (idle.all / conns) * (60 / holdS);
      out(
        `held idle: ${Math.round(perMin).toLocaleString('en')} instructions per session per minute`,
      );
    }
    await closeAll();
  }
  const downMiB = Number(flags.down);
  if (downMiB > 0) {
    const ir = await count(() => down(downMiB));
    out(`down (${mode}): ${per(ir, downMiB, 'MiB')}`);
  }
  const upMiB = Number(flags.up);
  if (upMiB > 0) {
    const ir = await count(() => up(upMiB));
    out(`up (${mode}, ${flags.frame} KiB frames): ${per(ir, upMiB, 'MiB')}`);
  }
} finally {
  proxy.kill('SIGKILL');
  load.kill();
  backend.kill();
  await store?.stop();
  if (flags.keep) out(`callgrind dumps kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
