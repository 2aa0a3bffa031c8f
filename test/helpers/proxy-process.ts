/**
 * Porthole in a child process (for memory figures of the server alone, and so a flood in
 * the test process does not share the server's event loop). The child runs
 * proxy-process-child.ts: createPorthole on 127.0.0.1:0 with the given config.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ConfigInput } from '../../server/config/config.ts';

const CHILD = new URL('./proxy-process-child.ts', import.meta.url).pathname;

export interface ProxyProcess {
  pid: number;
  port: number;
  url: string;
  origin: string;
  /** Resident set size of the server process, in bytes (from /proc). */
  rss(): number;
  /** Log lines so far (JSON objects). */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

export async function startProxyProcess(
  config: Partial<ConfigInput> & Pick<ConfigInput, 'hosts'>,
): Promise<ProxyProcess> {
  const child: ChildProcess = fork(CHILD, [JSON.stringify(config)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const logs: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout?.on('data', (c: Buffer) => {
    const lines = (partial + c.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line !== '') logs.push(JSON.parse(line));
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`proxy child exited with ${code}`)));
  });
  const pid = child.pid ?? 0;
  return {
    pid,
    port,
    url: `ws://127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    rss: () => rssOf(pid),
    logs,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }
      }),
  };
}
