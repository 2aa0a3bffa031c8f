/**
 * The peers Porthole is measured against, each started once per backend role and each
 * skipped (with a line saying so) when it is not installed:
 *   socat       a TCP relay (`socat TCP-LISTEN:…,fork TCP:…`): the floor for any relay;
 *   websockify  Debian's python3 WebSocket-to-TCP relay, the protocol Porthole's `binary` mode speaks;
 *   naive       bench/naive-relay.ts, the plain `ws` + `net` relay a Node developer writes first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, type ProcSample, ROOT, sample } from './proc.ts';

export const PEERS = ['socat', 'websockify', 'naive'] as const;
export type PeerName = (typeof PEERS)[number];

export interface Relay {
  port: number;
  pid: number;
  child: ChildProcess;
  stop(): void;
}

export interface Peer<R extends string = string> {
  name: PeerName;
  /** One relay per backend role, each listening on its own port. */
  relays: Record<R, Relay>;
  /** CPU and RSS of every relay process, with the per-connection forks socat and websockify make. */
  sample(): ProcSample;
  stop(): void;
}

/** The compiled naive relay (the bench builds it with bench/tsconfig.relay.json). */
export const NAIVE_RELAY_JS = join(ROOT, 'build', 'bench', 'naive-relay.js');

function commandFor(name: PeerName, port: number, target: number): [string, string[]] {
  switch (name) {
    case 'socat':
      return [
        'socat',
        [
          `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,nodelay,backlog=4096`,
          `TCP:127.0.0.1:${target},nodelay`,
        ],
      ];
    case 'websockify':
      return ['websockify', [`127.0.0.1:${port}`, `127.0.0.1:${target}`]];
    case 'naive':
      return [process.execPath, [NAIVE_RELAY_JS, String(port), String(target)]];
  }
}

/** Resolves once something accepts on the port, false after `ms`. */
async function listening(port: number, child: ChildProcess, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until && child.exitCode === null) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** One relay process of a peer, forwarding a free loopback port to `target`. */
export async function startRelay(name: PeerName, target: number): Promise<Relay | undefined> {
  if (name === 'naive' && !existsSync(NAIVE_RELAY_JS)) return undefined;
  const port = await freePort();
  const [cmd, args] = commandFor(name, port, target);
  const child = spawn(cmd, args, { stdio: 'ignore' });
  const failed = new Promise<boolean>((resolve) => child.once('error', () => resolve(false)));
  const ok = await Promise.race([listening(port, child, 10_000), failed]);
  if (!ok || child.pid === undefined) {
    child.kill('SIGKILL');
    return undefined;
  }
  return { port, pid: child.pid, child, stop: () => child.kill('SIGTERM') };
}

/** Starts one relay per role; undefined (and nothing left running) if the peer is missing. */
export async function startPeer<R extends string>(
  name: PeerName,
  targets: Record<R, number>,
): Promise<Peer<R> | undefined> {
  const relays: Partial<Record<R, Relay>> = {};
  for (const role of Object.keys(targets) as R[]) {
    const relay = await startRelay(name, targets[role]);
    if (relay === undefined) {
      for (const r of Object.values<Relay | undefined>(relays)) r?.stop();
      return undefined;
    }
    relays[role] = relay;
  }
  const all = Object.values<Relay>(relays as Record<R, Relay>);
  const forks = name !== 'naive';
  return {
    name,
    relays: relays as Record<R, Relay>,
    sample: () => {
      const total: ProcSample = { cpuS: 0, sysS: 0, rssBytes: 0 };
      for (const r of all) {
        const one = sample(r.pid, forks);
        total.cpuS += one.cpuS;
        total.sysS += one.sysS;
        total.rssBytes += one.rssBytes;
      }
      return total;
    },
    stop: () => {
      for (const r of all) r.stop();
    },
  };
}

/** Why a peer is missing, for the line the bench prints when it skips one. */
export function missingReason(name: PeerName): string {
  switch (name) {
    case 'socat':
      return 'socat not found (apt-get install socat)';
    case 'websockify':
      return 'websockify not found (apt-get install websockify)';
    case 'naive':
      return `${NAIVE_RELAY_JS} missing (the bench builds it unless --no-build)`;
  }
}
