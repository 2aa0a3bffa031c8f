/**
 * The pre-upgrade gate's shared state: who the client is (trusted proxies), whether the
 * Host and Origin headers are acceptable, authentication with per-address lockout, and
 * the upgrade rate. Used by the upgrade handler and the JSON API alike.
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { Config } from '../config/config.ts';
import {
  AuthError,
  type Authenticator,
  CookieSigner,
  createAuthenticator,
  type Principal,
} from './auth.ts';
import { createHostRule } from './host-header.ts';
import { createOriginPolicy, type OriginPolicy } from './origin.ts';
import { FailureLockout, TokenBucket } from './rate-limit.ts';

export interface Gate {
  readonly origin: OriginPolicy;
  readonly signer: CookieSigner;
  readonly authenticator: Authenticator;
  readonly lockout: FailureLockout;
  readonly upgrades: TokenBucket;
  /** The client's address: the socket's, or X-Forwarded-For's when the peer is a trusted proxy. */
  clientIp(req: IncomingMessage): string;
  /** Whether the direct peer is a configured trusted proxy. */
  fromTrustedProxy(req: IncomingMessage): boolean;
  /** Host header allowlist (DNS rebinding defence, SECURITY.md A5). */
  hostAllowed(req: IncomingMessage): boolean;
  /** Authenticates with lockout bookkeeping; throws AuthError or LockedOut. */
  authenticate(req: IncomingMessage): Promise<Principal>;
}

export class LockedOut extends Error {
  override name = 'LockedOut';
  readonly retryAfterSeconds: number;
  constructor(seconds: number) {
    super('too many failed attempts');
    this.retryAfterSeconds = seconds;
  }
}

export function createGate(config: Readonly<Config>): Gate {
  const trust = proxyaddr.compile(
    config.trustedProxies.length === 0 ? [] : [...config.trustedProxies],
  );
  const signer = new CookieSigner(
    config.auth.mode === 'password' ? config.auth.cookieSecret : undefined,
  );
  const authenticator = createAuthenticator(config.auth, signer);
  const lockout = new FailureLockout(config.limits.authFailures, 60_000, config.limits.authLockout);
  const upgrades = new TokenBucket(
    config.limits.upgradesPerIpPerMinute,
    config.limits.upgradeBurst,
  );
  const hostRule = createHostRule(config);
  const origin = createOriginPolicy(config.origins, config.publicUrl, {
    allowMissing: config.allowMissingOrigin,
    secure: config.tls !== undefined,
  });
  const fromTrustedProxy = (req: IncomingMessage): boolean => {
    const peer = req.socket.remoteAddress;
    return peer !== undefined && config.trustedProxies.length > 0 && trust(peer, 0);
  };
  const clientIp = (req: IncomingMessage): string =>
    config.trustedProxies.length === 0
      ? (req.socket.remoteAddress ?? 'unknown')
      : proxyaddr(req, trust);
  return {
    origin,
    signer,
    authenticator,
    lockout,
    upgrades,
    clientIp,
    fromTrustedProxy,
    hostAllowed: (req) => hostRule.allows(req.headers.host),
    async authenticate(req) {
      const ip = clientIp(req);
      const banned = lockout.bannedFor(ip);
      if (banned > 0) throw new LockedOut(banned);
      try {
        // Success does not clear the address's failures: otherwise one valid account could
        // interleave its own requests with unlimited guesses at others. Failures age out.
        return await authenticator.authenticate(req, fromTrustedProxy(req));
      } catch (err) {
        if (err instanceof AuthError && err.failedAttempt) lockout.fail(ip);
        throw err;
      }
    },
  };
}
