/**
 * Real telnet servers from Debian's packages, on loopback: BusyBox telnetd (busybox-static)
 * and GNU inetutils telnetd (inetutils-telnetd). Both run a login-free /bin/sh.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';

export interface TelnetServer {
  port: number;
  target: string;
  close(): Promise<void>;
}

/** Fails (never skips) with the package to install when a server binary is missing. */
export function requireBinary(path: string, debianPackage: string): void {
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: run .ci/run (it installs the Debian package ${debianPackage})`,
    );
  }
}

export function freePort(): Promise<number> {
  const probe = createServer();
  return new Promise((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        address !== null && typeof address === 'object'
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export async function untilListening(
  port: number,
  child: ChildProcess,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`telnetd exited early with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`telnetd did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** `busybox telnetd -F -b 127.0.0.1:PORT -l /bin/sh`: NAWS and ECHO, no TTYPE. */
export async function startBusyboxTelnetd(): Promise<TelnetServer> {
  requireBinary('/usr/bin/busybox', 'busybox-static');
  const port = await freePort();
  const child = spawn(
    '/usr/bin/busybox',
    ['telnetd', '-F', '-b', `127.0.0.1:${port}`, '-l', '/bin/sh'],
    {
      stdio: 'ignore',
    },
  );
  await untilListening(port, child);
  return { port, target: `telnet://127.0.0.1:${port}`, close: () => stop(child) };
}

/**
 * GNU inetutils telnetd is inetd-style: it speaks telnet on its stdin. A loopback server
 * hands each accepted socket to a fresh `telnetd -h -E /bin/sh` as stdin and stdout
 * (`-E` replaces /bin/login, `-h` skips the host banner).
 */
export async function startInetutilsTelnetd(
  options: { acceptEnv?: readonly string[] } = {},
): Promise<TelnetServer> {
  requireBinary('/usr/sbin/telnetd', 'inetutils-telnetd');
  const children = new Set<ChildProcess>();
  // `--accept-env` (the CVE-2026-24061 fix) lets these NEW-ENVIRON variables into the shell.
  const accept = (options.acceptEnv ?? []).map((name) => `--accept-env=${name}`);
  const server: Server = createServer((socket) => {
    const child = spawn('/usr/sbin/telnetd', [...accept, '-h', '-E', '/bin/sh'], {
      stdio: [socket, socket, 'ignore'],
    });
    children.add(child);
    child.once('exit', () => {
      children.delete(child);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    target: `telnet://127.0.0.1:${address.port}`,
    close: async () => {
      await Promise.all([...children].map(stop));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
