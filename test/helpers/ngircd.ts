/**
 * Debian's ngIRCd on free loopback ports with WEBIRC enabled (`[Options] WebIRCPassword`),
 * a plain port and a TLS port (certificate from tls-cert.ts). No DNS, ident or PAM, so
 * WHOIS shows exactly the host the connection announced.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requireBinary, stop, untilListening } from './telnet-servers.ts';
import { makeCert, type TestCert } from './tls-cert.ts';

export interface Ngircd {
  port: number;
  tlsPort: number;
  cert: TestCert;
  close(): Promise<void>;
}

export async function startNgircd(webircPassword: string): Promise<Ngircd> {
  requireBinary('/usr/sbin/ngircd', 'ngircd');
  const dir = mkdtempSync(join(tmpdir(), 'porthole-ngircd-'));
  const cert = makeCert(dir, 'irc');
  // Run as root, ngIRCd drops to nobody and re-reads its key on rehash.
  chmodSync(dir, 0o755);
  chmodSync(cert.key, 0o644);
  const [port, tlsPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'ngircd.conf');
  writeFileSync(
    conf,
    `[Global]
\tName = irc.porthole.test
\tInfo = Porthole test server
\tListen = 127.0.0.1
\tPorts = ${port}
\tMotdPhrase = Porthole test
[Options]
\tWebIRCPassword = ${webircPassword}
\tDNS = no
\tIdent = no
\tPAM = no
[SSL]
\tCertFile = ${cert.cert}
\tKeyFile = ${cert.key}
\tPorts = ${tlsPort}
`,
  );
  const child = spawn('/usr/sbin/ngircd', ['--nodaemon', '--config', conf], { stdio: 'ignore' });
  await untilListening(port, child, 20_000);
  await untilListening(tlsPort, child, 20_000);
  return { port, tlsPort, cert, close: () => stop(child) };
}
