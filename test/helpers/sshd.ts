/**
 * Debian's OpenSSH sshd on a free loopback port with a test-only config and a generated host
 * key, logging in a throwaway system user (`porthole-ssh`, created on first use, home /tmp,
 * its password random per start and locked again at close). sshd logs users in, so these
 * tests need root, as `.ci/run` has; they fail (never skip) with a clear message otherwise.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requireBinary, stop, untilListening } from './telnet-servers.ts';

export const SSH_USER = 'porthole-ssh';

export interface SshKeyPair {
  /** Private key file. */
  file: string;
  /** `ssh-ed25519 AAAA… comment`. */
  publicKey: string;
  /** `SHA256:…` as ssh-keygen -l prints it. */
  fingerprint: string;
}

export interface Sshd {
  port: number;
  target: string;
  password: string;
  hostKey: SshKeyPair;
  /** A known_hosts line for this server's key. */
  knownHostsLine: string;
  /** sshd's own log (stderr, -e). */
  log(): string;
  close(): Promise<void>;
}

export interface SshdOptions {
  /** Keyboard-interactive through PAM (pam_unix) instead of plain password auth. */
  pam?: boolean;
  /** Reuse this host key (a restart on the same port) or pass another to simulate a changed one. */
  hostKey?: SshKeyPair;
  port?: number;
  /** Public keys allowed to log in as SSH_USER. */
  authorizedKeys?: readonly string[];
}

/** An ed25519 key pair in `dir`. */
export function makeSshKey(dir: string, name: string): SshKeyPair {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  const publicKey = readFileSync(`${file}.pub`, 'utf8').trim();
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`])
    .toString()
    .split(' ')[1] as string;
  return { file, publicKey, fingerprint };
}

function requireRoot(): void {
  if (process.getuid?.() !== 0)
    throw new Error(
      'the sshd tests need root (sshd logs a test user in): run them as .ci/run does',
    );
}

/** Creates the test user once and gives it a fresh random password. */
function prepareUser(): string {
  try {
    execFileSync('id', [SSH_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', [
      '--system',
      '--no-create-home',
      '--home-dir',
      '/tmp',
      '--shell',
      '/bin/sh',
      SSH_USER,
    ]);
  }
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  execFileSync('chpasswd', [], { input: `${SSH_USER}:${password}\n` });
  return password;
}

function config(dir: string, port: number, hostKeyFile: string, pam: boolean): string {
  return `Port ${port}
ListenAddress 127.0.0.1
HostKey ${hostKeyFile}
PidFile ${dir}/sshd.pid
AuthorizedKeysFile ${dir}/authorized_keys
StrictModes no
AllowUsers ${SSH_USER}
PermitRootLogin no
UsePAM ${pam ? 'yes' : 'no'}
PasswordAuthentication ${pam ? 'no' : 'yes'}
KbdInteractiveAuthentication ${pam ? 'yes' : 'no'}
PubkeyAuthentication yes
MaxAuthTries 10
PrintMotd no
PrintLastLog no
LogLevel VERBOSE
`;
}

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  requireBinary('/usr/sbin/sshd', 'openssh-server');
  requireRoot();
  const password = prepareUser();
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  const dir = mkdtempSync(join(tmpdir(), 'porthole-sshd-'));
  chmodSync(dir, 0o755); // the user reads authorized_keys with its own rights
  const hostKey = options.hostKey ?? makeSshKey(dir, 'host');
  writeFileSync(join(dir, 'authorized_keys'), `${(options.authorizedKeys ?? []).join('\n')}\n`, {
    mode: 0o644,
  });
  const port = options.port ?? (await freePort());
  const conf = join(dir, 'sshd_config');
  writeFileSync(conf, config(dir, port, hostKey.file, options.pam === true));
  let stderr = '';
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', conf], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  await untilListening(port, child, 20_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${stderr}`);
  });
  const [type, blob] = hostKey.publicKey.split(' ');
  return {
    port,
    target: `ssh://127.0.0.1:${port}`,
    password,
    hostKey,
    knownHostsLine: `[127.0.0.1]:${port} ${type} ${blob}`,
    log: () => stderr,
    close: async () => {
      await stop(child);
      execFileSync('usermod', ['--lock', SSH_USER]);
    },
  };
}
