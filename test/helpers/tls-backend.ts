/**
 * A TLS backend from Debian's socat: `socat OPENSSL-LISTEN` on a free loopback port with a
 * certificate from tls-cert.ts, in front of a plain TCP service or `cat` (echo).
 */
import { spawn } from 'node:child_process';
import { freePort, requireBinary, stop, untilListening } from './telnet-servers.ts';

export interface TlsBackend {
  port: number;
  close(): Promise<void>;
}

/**
 * `to` is a socat address for what the decrypted stream talks to: `TCP:127.0.0.1:PORT`
 * (e.g. a telnetd) or `EXEC:cat` (echo). socat's `verify=0` asks for no client certificate.
 */
export async function startSocatTls(
  cert: { cert: string; key: string },
  to: string,
): Promise<TlsBackend> {
  requireBinary('/usr/bin/socat', 'socat');
  const port = await freePort();
  const child = spawn(
    '/usr/bin/socat',
    [
      `OPENSSL-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,verify=0,cert=${cert.cert},key=${cert.key}`,
      to,
    ],
    { stdio: 'ignore' },
  );
  await untilListening(port, child, 20_000);
  return { port, close: () => stop(child) };
}
