/**
 * Authentication, checked inside the upgrade handler (Express middleware never runs for
 * upgrades: ws#906) and for the JSON API. Fail closed: any doubt is a refusal. Modes:
 * none, token (shared secrets), password (login page + signed cookie), jwt (jose), and
 * trusted-header (a reverse proxy's user header, only from trusted proxy addresses).
 */
import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import type { AuthConfig } from '../config/auth-schema.ts';
import { createJwtCheck } from './jwt-check.ts';

const scryptAsync = promisify(scrypt) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: object,
) => Promise<Buffer>;

export interface Principal {
  user: string;
  groups: readonly string[];
  /** Epoch ms after which the session must end (1008 "session expired"); undefined = never. */
  expiresAt?: number;
}

export class AuthError extends Error {
  override name = 'AuthError';
  /** 401: no or bad credentials (counts as a failure); 403: known but not allowed. */
  readonly status: 401 | 403;
  /** Whether a credential was presented and was wrong (counts towards lockout). */
  readonly failedAttempt: boolean;
  constructor(status: 401 | 403, message: string, failedAttempt = true) {
    super(message);
    this.status = status;
    this.failedAttempt = failedAttempt;
  }
}

/** Resolves to the caller's identity or rejects with AuthError. */
export interface Authenticator {
  readonly mode: AuthConfig['mode'];
  authenticate(req: IncomingMessage, trustedProxy: boolean): Promise<Principal>;
}

export const SESSION_COOKIE = 'porthole_session';
export const TOKEN_COOKIE = 'porthole_token';

/** Parses a Cookie header without a library: name=value pairs split on ';'. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name)
      return decodeCookieValue(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** A malformed %-escape is a bad credential, not a server error. */
function decodeCookieValue(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

/** Browsers cannot set headers on a WebSocket, so a token may also come as `?token=`. */
function queryToken(req: IncomingMessage): string | undefined {
  let v: string | null;
  try {
    v = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
  } catch {
    return undefined;
  }
  return v === null || v === '' ? undefined : v;
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison of two secrets of any length (both hashed first). */
export function secretEquals(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/**
 * The work factor of new hashes: N = 2^17, r = 8, p = 1 (OWASP's scrypt minimum), so one
 * verification takes 128 MiB (128 * N * r bytes) and a few hundred ms of one thread.
 */
export const SCRYPT_N = 2 ** 17;
/** Stored hashes beyond this are refused rather than verified (memory per check: 128 * N * r * p). */
const MAX_SCRYPT_BYTES = 256 * 1024 * 1024;

/** `scrypt$N$r$p$salt$hash`, salt and hash base64. Node's scrypt: no native add-on needed. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const N = SCRYPT_N;
  const hash = await scryptAsync(password, salt, 32, {
    N,
    r: 8,
    p: 1,
    maxmem: 128 * N * 8 + 1024 * 1024,
  });
  return `scrypt$${N}$8$1$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const [N, R, P] = [Number(n), Number(r), Number(p)];
  // Memory sized for the stored parameters (2^17 needs 128 MiB), within a fixed bound.
  const needed = 128 * N * R * P;
  if (!(needed > 0 && needed <= MAX_SCRYPT_BYTES)) return false;
  const got = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, {
    N,
    r: R,
    p: P,
    maxmem: needed + 1024 * 1024,
  });
  return got.length === expected.length && timingSafeEqual(got, expected);
}

const MAX_REVOKED = 100_000;

/** Signs `user|groups|expiresAt` with HMAC-SHA256 for the password mode's cookie. */
export class CookieSigner {
  readonly #key: Buffer;
  /** Logged-out cookies (by MAC) until they would have expired anyway; bounded. */
  #revoked = new Map<string, number>();
  constructor(secret: string | undefined) {
    this.#key = secret === undefined ? randomBytes(32) : sha256(secret);
  }

  /** Refuses this cookie from now on (logout). In this process only: see SECURITY.md H8. */
  revoke(value: string, now = Date.now()): void {
    const p = this.verify(value, now);
    if (p?.expiresAt === undefined) return;
    for (const [mac, until] of this.#revoked) if (until <= now) this.#revoked.delete(mac);
    if (this.#revoked.size >= MAX_REVOKED) {
      const oldest = this.#revoked.keys().next();
      if (oldest.done !== true) this.#revoked.delete(oldest.value);
    }
    this.#revoked.set(value.slice(value.lastIndexOf('.') + 1), p.expiresAt);
  }
  sign(p: Required<Principal>): string {
    const body = Buffer.from(JSON.stringify([p.user, p.groups, p.expiresAt])).toString('base64url');
    return `${body}.${createHmac('sha256', this.#key).update(body).digest('base64url')}`;
  }
  verify(value: string, now = Date.now()): Principal | undefined {
    const dot = value.lastIndexOf('.');
    if (dot < 0) return undefined;
    const body = value.slice(0, dot);
    const mac = Buffer.from(value.slice(dot + 1), 'base64url');
    const want = createHmac('sha256', this.#key).update(body).digest();
    if (mac.length !== want.length || !timingSafeEqual(mac, want)) return undefined;
    if (this.#revoked.has(value.slice(dot + 1))) return undefined;
    const parsed: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed)) return undefined;
    const [user, groups, expiresAt] = parsed as [unknown, unknown, unknown];
    if (typeof user !== 'string' || !Array.isArray(groups) || typeof expiresAt !== 'number')
      return undefined;
    if (expiresAt <= now) return undefined;
    return { user, groups: groups.filter((g): g is string => typeof g === 'string'), expiresAt };
  }
}

const ANONYMOUS: Principal = Object.freeze({ user: 'anonymous', groups: Object.freeze([]) });

export function createAuthenticator(config: AuthConfig, signer: CookieSigner): Authenticator {
  switch (config.mode) {
    case 'none':
      return { mode: 'none', authenticate: async () => ANONYMOUS };
    case 'token':
      return {
        mode: 'token',
        async authenticate(req) {
          const presented = bearer(req) ?? readCookie(req, TOKEN_COOKIE) ?? queryToken(req);
          if (presented === undefined) throw new AuthError(401, 'token required', false);
          // Compare against every entry so timing does not reveal which one matched.
          let found: (typeof config.tokens)[number] | undefined;
          for (const t of config.tokens)
            if (secretEquals(presented, t.token) && found === undefined) found = t;
          if (found === undefined) throw new AuthError(401, 'bad token');
          return { user: found.name, groups: found.groups };
        },
      };
    case 'password':
      return {
        mode: 'password',
        async authenticate(req) {
          const cookie = readCookie(req, SESSION_COOKIE);
          const p = cookie === undefined ? undefined : signer.verify(cookie);
          if (p === undefined) throw new AuthError(401, 'login required', cookie !== undefined);
          // A user removed from the config (and restarted) is out, even with a cookie that a
          // shared cookieSecret keeps valid; groups are the config's, not the cookie's.
          const user = config.users.find((u) => u.name === p.user);
          if (user === undefined) throw new AuthError(401, 'unknown user', false);
          return { ...p, groups: user.groups };
        },
      };
    case 'jwt':
      return createJwtAuthenticator(config);
    case 'trusted-header':
      return {
        mode: 'trusted-header',
        async authenticate(req, trustedProxy) {
          if (!trustedProxy) throw new AuthError(401, 'not from a trusted proxy');
          const user = singleHeader(req, config.userHeader);
          if (user === null) throw new AuthError(401, 'repeated user header');
          if (user === undefined || user === '') throw new AuthError(401, 'no user header', false);
          const g =
            config.groupsHeader === undefined ? undefined : singleHeader(req, config.groupsHeader);
          if (g === null) throw new AuthError(401, 'repeated groups header');
          const groups = (g ?? '')
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '');
          return { user: user.slice(0, 200), groups };
        },
      };
  }
}

/**
 * One header's value; null when it came more than once. Node joins repeats with ", ", so a
 * client-sent copy that the proxy appended to (instead of replacing) could add a group or
 * change the user: a repeated identity header is refused instead.
 */
function singleHeader(req: IncomingMessage, name: string): string | undefined | null {
  const values = req.headersDistinct[name.toLowerCase()];
  if (values === undefined) return undefined;
  return values.length === 1 ? values[0] : null;
}

function createJwtAuthenticator(config: Extract<AuthConfig, { mode: 'jwt' }>): Authenticator {
  const check = createJwtCheck(config);
  return {
    mode: 'jwt',
    async authenticate(req) {
      const token = bearer(req) ?? readCookie(req, config.cookie) ?? queryToken(req);
      if (token === undefined) throw new AuthError(401, 'token required', false);
      const verdict = await check(token);
      if ('refused' in verdict) throw new AuthError(401, verdict.refused);
      return verdict;
    },
  };
}

/** Per-host access lists: empty lists mean everyone who authenticated. */
export function mayUse(
  p: Principal,
  allow: { users?: readonly string[]; groups?: readonly string[] } | undefined,
): boolean {
  if (allow === undefined) return true;
  const users = allow.users ?? [];
  const groups = allow.groups ?? [];
  if (users.length === 0 && groups.length === 0) return true;
  return users.includes(p.user) || p.groups.some((g) => groups.includes(g));
}
