/**
 * The shared store for the bench's `store` rows: Debian's redis-server on a free loopback
 * port with no persistence (the same start as test/store.test.ts), stopped by PID. Porthole
 * runs with `store: { url }` next to the store-less Porthole in the same interleaved run, so
 * the table shows what the store costs: at upgrade and close only, never per byte.
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { type RedisServer, startRedis } from '../test/helpers/instances.ts';
import { type ProcSample, sample } from './proc.ts';

export const REDIS_SERVER = '/usr/bin/redis-server';

export interface BenchStore {
  url: string;
  /** redis-server's own CPU and RSS (its time is not the proxy's). */
  sample(): ProcSample;
  /** Commands redis-server has processed so far (`INFO stats` total_commands_processed). */
  commands(): Promise<number>;
  stop(): Promise<void>;
}

/** One `INFO stats` over a fresh connection (which counts as one command itself). */
function totalCommands(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => s.write('INFO stats\r\n'));
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      const m = /total_commands_processed:(\d+)/.exec(text);
      if (m?.[1] !== undefined && text.includes('\r\n\r\n')) {
        s.destroy();
        resolve(Number(m[1]));
      }
    });
    s.once('error', reject);
    s.setTimeout(5000, () => {
      s.destroy();
      reject(new Error('no INFO answer from redis-server'));
    });
  });
}

/** Starts redis-server, or undefined when it is not installed (the caller says so and skips). */
export async function startStore(): Promise<BenchStore | undefined> {
  if (!existsSync(REDIS_SERVER)) return undefined;
  const redis: RedisServer = await startRedis();
  const pid = redis.process.pid ?? 0;
  return {
    url: redis.url,
    sample: () => sample(pid),
    commands: () => totalCommands(redis.port),
    stop: () => redis.stop(),
  };
}

export const storeMissing = `${REDIS_SERVER} not found (apt-get install redis-server)`;
