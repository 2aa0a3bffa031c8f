/**
 * Secrets outside the config body: next to a secret key X (`cookieSecret`, `secret`,
 * `publicKey`, `token`, `password`; and `store.advertise`), `XFile: PATH` reads it from a file (a Kubernetes Secret
 * volume, systemd's credentials directory) and `XEnv: NAME` from an environment variable.
 * Resolved before validation, so every later rule (length, format) applies to the value.
 */
import { readFileSync } from 'node:fs';

// `advertise` is no secret, but in Kubernetes it comes from the pod's address (`advertiseEnv`).
const SECRET_KEYS = new Set([
  'cookieSecret',
  'secret',
  'publicKey',
  'token',
  'password',
  'advertise',
]);
const MAX_SECRET_BYTES = 64 * 1024;

/** A bad `*File`/`*Env` key; `path` is the key's place in the config, as errors name it. */
export class SecretError extends Error {
  override name = 'SecretError';
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

function readSecretFile(path: string, where: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SecretError(where, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
  if (Buffer.byteLength(text) > MAX_SECRET_BYTES)
    throw new SecretError(where, `${path} is larger than 64 KiB`);
  // Files written by `echo` or editors end in a newline that is not part of the secret.
  return text.replace(/\r?\n$/, '');
}

function resolveObject(
  obj: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  at: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    const m = /^(.*)(File|Env)$/.exec(key);
    const base = m?.[1];
    const where = at === '' ? key : `${at}.${key}`;
    if (base === undefined || !SECRET_KEYS.has(base)) {
      out[key] = resolveSecrets(value, env, where);
      continue;
    }
    if (typeof value !== 'string' || value === '')
      throw new SecretError(where, 'must be a file path or a variable name');
    if (obj[base] !== undefined || out[base] !== undefined)
      throw new SecretError(where, `give ${base} or ${key}, not both`);
    if (m?.[2] === 'File') out[base] = readSecretFile(value, where);
    else {
      const v = env[value];
      if (v === undefined || v === '') throw new SecretError(where, `${value} is not set`);
      out[base] = v;
    }
  }
  return out;
}

/** A copy of a parsed config input with every `XFile`/`XEnv` replaced by X's value. */
export function resolveSecrets(
  input: unknown,
  env: Readonly<Record<string, string | undefined>>,
  at = '',
): unknown {
  if (Array.isArray(input)) return input.map((v, i) => resolveSecrets(v, env, `${at}[${i}]`));
  if (typeof input !== 'object' || input === null) return input;
  return resolveObject(input as Record<string, unknown>, env, at);
}
