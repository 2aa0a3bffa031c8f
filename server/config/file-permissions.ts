/**
 * A config file that holds secrets should not be open to every user on the machine
 * (SECURITY.md H12): warned about at start, not refused, since the operator may have
 * reasons (a container whose only user is us). Group read is fine (a service group).
 */
import { statSync } from 'node:fs';
import type { Config } from './config.ts';

/** The config keys holding secrets, by name (never their values). */
function secretKeys(config: Readonly<Config>): string[] {
  const { auth } = config;
  switch (auth.mode) {
    case 'token':
      return ['auth.tokens'];
    case 'password':
      return auth.cookieSecret === undefined
        ? ['auth.users[].passwordHash']
        : ['auth.users[].passwordHash', 'auth.cookieSecret'];
    case 'jwt':
      return auth.secret === undefined ? [] : ['auth.secret'];
    default:
      return [];
  }
}

/** A warning when `path` holds secrets and other users may read it or anyone but us write it. */
export function loosePermissionsWarning(
  path: string,
  config: Readonly<Config>,
): string | undefined {
  const secrets = secretKeys(config);
  if (secrets.length === 0) return undefined;
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
  if ((mode & 0o027) === 0) return undefined;
  const who = (mode & 0o007) !== 0 ? 'every user' : 'its group (write)';
  return `config file ${path} holds ${secrets.join(', ')} but is open to ${who} (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 or 640`;
}
