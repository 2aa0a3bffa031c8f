/**
 * SSH host key verification (SECURITY.md K7): the key the server presents must be one of
 * the host's `hostKey` pins, or match the host's entries in a trust-on-first-use
 * `knownHostsFile` (OpenSSH format, plain or hashed host names). An unknown host is added
 * to that file; a host whose recorded keys all differ is refused as changed.
 */
import { createHmac } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { type HostKeyPin, parseHostKey, sshFingerprint } from '../config/ssh-schema.ts';

export type HostKeyVerdict = { ok: true; learned: boolean } | { ok: false; reason: string };

/** What a host checks against: its pins, or the file it learns into. */
export interface HostKeyPolicy {
  pins: readonly HostKeyPin[] | undefined;
  knownHostsFile: string | undefined;
}

/** How OpenSSH names a host in known_hosts: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function matchesPin(pin: HostKeyPin, blob: Buffer, fingerprint: string): boolean {
  return pin.kind === 'fingerprint'
    ? pin.fingerprint === fingerprint
    : Buffer.from(pin.blob, 'base64').equals(blob);
}

/** `|1|salt|hash` entries (HashKnownHosts): HMAC-SHA1 of the name keyed with the salt. */
function hostMatches(field: string, name: string): boolean {
  return field.split(',').some((pattern) => {
    const hashed = /^\|1\|([^|]+)\|(.+)$/.exec(pattern);
    if (hashed === null) return pattern === name;
    const salt = Buffer.from(hashed[1] ?? '', 'base64');
    return createHmac('sha1', salt).update(name).digest('base64') === hashed[2];
  });
}

/** The keys recorded for `name` (markers like @revoked are skipped: no pin comes from them). */
function recordedKeys(file: string, name: string): HostKeyPin[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const keys: HostKeyPin[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('@')) continue;
    const [hosts] = trimmed.split(/\s+/, 1);
    if (hosts === undefined || !hostMatches(hosts, name)) continue;
    const pin = parseHostKey(trimmed);
    if (pin !== undefined) keys.push(pin);
  }
  return keys;
}

/**
 * Checks the presented key (the SSH wire blob of type `type`) for `host:port`. Trust on first
 * use appends `name type base64` to the file; the caller logs that it did.
 */
export function verifyHostKey(
  policy: HostKeyPolicy,
  host: string,
  port: number,
  type: string,
  blob: Buffer,
): HostKeyVerdict {
  const fingerprint = sshFingerprint(blob);
  const name = knownHostsName(host, port);
  if (policy.pins !== undefined) {
    if (policy.pins.some((pin) => matchesPin(pin, blob, fingerprint)))
      return { ok: true, learned: false };
    return {
      ok: false,
      reason: `the host key of ${name} (${type} ${fingerprint}) is not the configured hostKey`,
    };
  }
  const file = policy.knownHostsFile;
  if (file === undefined) return { ok: false, reason: 'no hostKey and no knownHostsFile' };
  const known = recordedKeys(file, name);
  if (known.some((pin) => matchesPin(pin, blob, fingerprint))) return { ok: true, learned: false };
  if (known.length > 0) {
    const was = known.map((k) => k.fingerprint).join(', ');
    return {
      ok: false,
      reason: `the host key of ${name} has CHANGED: ${file} has ${was}, the server offered ${type} ${fingerprint}; if the change is expected, remove the old line from ${file}`,
    };
  }
  appendFileSync(file, `${name} ${type} ${blob.toString('base64')}\n`, { mode: 0o600 });
  return { ok: true, learned: true };
}

/** The host key algorithms to offer: only the pinned key types, so the server shows one of them. */
export function pinnedKeyTypes(policy: HostKeyPolicy, host: string, port: number): string[] {
  const pins =
    policy.pins ??
    (policy.knownHostsFile === undefined
      ? []
      : recordedKeys(policy.knownHostsFile, knownHostsName(host, port)));
  const types = pins.flatMap((pin) => (pin.kind === 'key' ? [pin.type] : []));
  // A fingerprint says nothing about its type: then every type stays on offer.
  return pins.some((pin) => pin.kind === 'fingerprint') ? [] : [...new Set(types)];
}
