/**
 * Processes for the bench: spawning children, reading a process tree's CPU time and RSS
 * from /proc (Linux), and waiting for a port to be announced.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PAGE_BYTES = 4096;
/** USER_HZ: clock ticks per second in /proc/PID/stat (100 on every Linux we run on). */
const TICKS_PER_S = 100;

export interface ProcSample {
  /** User + system CPU seconds, including children that have been waited for (socat's forks). */
  cpuS: number;
  /** Of cpuS, the part spent in the kernel (syscalls, TCP copies). */
  sysS: number;
  rssBytes: number;
}

function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name can hold spaces; fields start after its closing parenthesis.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Pids whose parent is `pid`. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const child = Number(name);
    if (!Number.isInteger(child)) continue;
    if (Number(statFields(child)?.[1]) === pid) out.push(child);
  }
  return out;
}

/** CPU and RSS of one process, or of it and its live children (a cluster, socat's forks). */
export function sample(pid: number, withChildren = false): ProcSample {
  const pids = withChildren ? [pid, ...childPids(pid)] : [pid];
  let ticks = 0;
  let sysTicks = 0;
  let pages = 0;
  for (const p of pids) {
    const f = statFields(p);
    if (f === undefined) continue;
    // After the ')' : state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14) … rss(21)
    ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    sysTicks += Number(f[12]) + Number(f[14]);
    pages += Number(f[21]);
  }
  return { cpuS: ticks / TICKS_PER_S, sysS: sysTicks / TICKS_PER_S, rssBytes: pages * PAGE_BYTES };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Forks a TypeScript module of the bench (through tsx) with an IPC channel. */
export function forkTs(file: string, args: string[] = []): ChildProcess {
  return fork(join(ROOT, 'bench', file), args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Resolves with the first IPC message of the given type. */
export function nextMessage<T extends { type: string }>(
  child: ChildProcess,
  type: T['type'],
  timeoutMs = 120_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no "${type}" message from child ${child.pid} in ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (msg: T): void => {
      if (msg.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(msg);
    };
    child.on('message', onMessage);
  });
}

/** BENCH_PROXY_ENV="A=1 B=2" sets variables for the proxy only (e.g. WS_NO_BUFFER_UTIL=1). */
function proxyEnv(): Record<string, string> {
  const pairs = (process.env.BENCH_PROXY_ENV ?? '').split(' ').filter((p) => p.includes('='));
  return Object.fromEntries(
    pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]),
  );
}

export interface ProxyProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  /** CPU and RSS of the proxy: the one process, or the primary and all workers. */
  sample(): ProcSample;
  stop(): Promise<void>;
}

/** Runs the emitted server build (`build/server/main.js`) with a config file. */
export async function startProxy(
  configPath: string,
  logPath: string,
  workers: number,
  extraNodeArgs: string[] = [],
): Promise<ProxyProcess> {
  const log = openSync(logPath, 'a');
  const child = spawn(
    process.execPath,
    [
      ...extraNodeArgs,
      process.env.BENCH_SERVER_MAIN ?? join(ROOT, 'build', 'server', 'main.js'),
      '--config',
      configPath,
      '--workers',
      String(workers),
    ],
    { cwd: ROOT, stdio: ['ignore', log, 'pipe'], env: { ...process.env, ...proxyEnv() } },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the proxy');
  const port = await new Promise<number>((resolve, reject) => {
    let seen = '';
    let listening = 0;
    const timer = setTimeout(() => reject(new Error(`proxy did not start: ${seen}`)), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const ports = [...seen.matchAll(/running at http:\/\/[^:]+:(\d+)\//g)];
      listening = ports.length;
      const first = ports[0]?.[1];
      if (first !== undefined && listening >= workers) {
        clearTimeout(timer);
        resolve(Number(first));
      }
    });
    child.once('exit', (code) => reject(new Error(`proxy exited (${code}): ${seen}`)));
  });
  child.stderr?.resume();
  return {
    child,
    pid,
    port,
    sample: () => sample(pid, workers > 1),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
