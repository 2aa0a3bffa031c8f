/**
 * Host keys for `ssh://` targets (issue 15): how the server's host key is verified
 * (`hostKey` or a trust-on-first-use `knownHostsFile`) and who logs in (`user`,
 * `privateKeyFile`). Keys and files are parsed here, once, so a typo is a config error.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';
import { z } from 'zod';

// ssh2 is CommonJS: its `utils` is reachable only through the default export under Node's ESM.
const { utils } = ssh2;

/** One accepted host key: its exact public key, or the SHA-256 fingerprint of one. */
export type HostKeyPin =
  | { kind: 'key'; type: string; blob: string; fingerprint: string }
  | { kind: 'fingerprint'; fingerprint: string };

/** `SHA256:` + unpadded base64 of the SHA-256 of the key blob, as `ssh-keygen -l` prints it. */
export function sshFingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

const KEY_TYPE =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/;

/** Reads `SHA256:…`, `type base64 [comment]`, or a known_hosts line (`hosts type base64`). */
export function parseHostKey(text: string): HostKeyPin | undefined {
  const trimmed = text.trim();
  if (/^SHA256:[A-Za-z0-9+/]{43}$/.test(trimmed))
    return { kind: 'fingerprint', fingerprint: trimmed };
  // @cert-authority and @revoked lines are not host keys: never a pin.
  if (trimmed.startsWith('@')) return undefined;
  const words = trimmed.split(/\s+/);
  const at = words.findIndex((w) => KEY_TYPE.test(w));
  const type = words[at];
  const base64 = words[at + 1];
  if (at < 0 || at > 2 || type === undefined || base64 === undefined) return undefined;
  const parsed = utils.parseKey(`${type} ${base64}`);
  if (parsed instanceof Error || Array.isArray(parsed) || parsed.type !== type) return undefined;
  const blob = parsed.getPublicSSH();
  return { kind: 'key', type, blob: blob.toString('base64'), fingerprint: sshFingerprint(blob) };
}

const hostKeyEntry = z.string().transform((v, ctx): HostKeyPin => {
  const pin = parseHostKey(v);
  if (pin === undefined) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be a known_hosts line, a public key like "ssh-ed25519 AAAA…", or SHA256:… as ssh-keygen -l prints it',
    });
    return z.NEVER;
  }
  return pin;
});

const privateKeyFile = z
  .string()
  .min(1)
  .superRefine((path, ctx) => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a readable private key file' });
      return;
    }
    const key = utils.parseKey(text);
    if (key instanceof Error || Array.isArray(key) || !key.isPrivateKey())
      ctx.addIssue({
        code: 'custom',
        message: `is not an unencrypted private key ssh2 can read${key instanceof Error ? ` (${key.message})` : ''}`,
      });
  });

/** The TOFU store: the file may not exist yet, but its directory must. */
const knownHostsFile = z
  .string()
  .min(1)
  .refine((path) => existsSync(dirname(path)) && statSync(dirname(path)).isDirectory(), {
    message: 'must be a file in an existing directory (it is created on first use)',
  });

/** `$auth` = the user name Porthole's own authentication established. */
export const AUTH_USER = '$auth';

/** The host keys this file adds, spread into the host schema. */
export const sshShape = {
  /** Accepted host key(s): known_hosts lines, public keys or SHA256 fingerprints. */
  hostKey: z
    .preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(hostKeyEntry).min(1).max(16))
    .optional(),
  /** Trust on first use: unknown hosts are added, a changed key is refused. */
  knownHostsFile: knownHostsFile.optional(),
  /** Fixed login name, or `$auth`; omitted: asked in the terminal ("login as:"). */
  user: z
    .string()
    .regex(/^(\$auth|[A-Za-z0-9._][A-Za-z0-9._@-]{0,63})$/, 'must be a user name or $auth')
    .optional(),
  /** An operator-provided key (kiosk and guest accounts); typed passwords remain possible. */
  privateKeyFile: privateKeyFile.optional(),
};

export interface SshKeys {
  hostKey?: unknown;
  knownHostsFile?: unknown;
  user?: string | undefined;
  privateKeyFile?: unknown;
}

/** [key, message] for each SSH key misused: SSH keys only on ssh://, and a host key source required. */
export function sshKeyProblems(ssh: boolean, host: SshKeys): [string, string][] {
  const problems: [string, string][] = [];
  if (!ssh) {
    for (const key of ['hostKey', 'knownHostsFile', 'user', 'privateKeyFile'] as const)
      if (host[key] !== undefined) problems.push([key, 'needs an ssh:// target']);
    return problems;
  }
  if (host.hostKey === undefined && host.knownHostsFile === undefined)
    problems.push([
      'hostKey',
      'an ssh:// host needs hostKey (known_hosts line or SHA256 fingerprint) or knownHostsFile',
    ]);
  return problems;
}
