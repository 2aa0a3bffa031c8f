/**
 * The password mode's login check (SECURITY.md A9, H3): the attempt is counted before the
 * password is hashed (in-flight attempts count), and the hashing waits in the gate's own
 * small queue, so 400 parallel guesses from one address get at most `authFailures`
 * verified and cannot occupy the threadpool that DNS lookups and file reads need.
 */
import type { AuthConfig } from '../config/auth-schema.ts';
import { verifyPassword } from './auth.ts';
import type { Gate } from './limits.ts';
import { StoreUnavailable } from './shared-state.ts';
import { VerifyBusy } from './verify-queue.ts';

type PasswordAuth = Extract<AuthConfig, { mode: 'password' }>;

export type LoginResult =
  | { kind: 'ok'; user: PasswordAuth['users'][number] }
  | { kind: 'failed' }
  | { kind: 'locked'; retryAfter: number }
  | { kind: 'busy' };

/** A real hash to spend time on when the user is unknown: the same work factor as new hashes (SCRYPT_N). */
const DUMMY_HASH =
  'scrypt$131072$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** Checks a user name and password from the client address `ip`. */
export async function checkLogin(
  gate: Gate,
  auth: PasswordAuth,
  ip: string,
  name: string,
  password: string,
): Promise<LoginResult> {
  const key = gate.addressKey(ip);
  let reserved: boolean;
  try {
    reserved = await gate.state.reserveAttempt(key);
  } catch (err) {
    if (err instanceof StoreUnavailable) return { kind: 'busy' };
    throw err;
  }
  if (!reserved) {
    // Banned, or every attempt left is already being verified: those settle within a second.
    const banned = await gate.state.bannedFor(key).catch(() => 0);
    return { kind: 'locked', retryAfter: Math.max(1, banned) };
  }
  const user = auth.users.find((u) => u.name === name);
  let ok = false;
  try {
    // Verify against a dummy hash for unknown users so timing does not reveal who exists.
    ok = await gate.verifications.run(key, () =>
      verifyPassword(password, user?.passwordHash ?? DUMMY_HASH),
    );
  } catch (err) {
    await gate.state.settleAttempt(key, false);
    if (err instanceof VerifyBusy) return { kind: 'busy' };
    throw err;
  }
  await gate.state.settleAttempt(key, user === undefined || !ok);
  return user !== undefined && ok ? { kind: 'ok', user } : { kind: 'failed' };
}
