/**
 * The pre-upgrade gate's shared state: who the client is (trusted proxies), whether the
 * Host and Origin headers are acceptable, authentication with per-address lockout, and
 * the upgrade rate. Used by the upgrade handler and the JSON API alike.
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import { addressKey } from '../common/address-key.ts';
import type { Logger } from '../common/log.ts';
import type { Config } from '../config/config.ts';
import {
  AuthError,
  type Authenticator,
  CookieSigner,
  createAuthenticator,
  type Principal,
} from './auth.ts';
import { relayedClient } from './forwarded-for.ts';
import { createHostRule } from './host-header.ts';
import { checkOrigin, createOriginPolicy, type OriginPolicy } from './origin.ts';
import { RedisState } from './redis-state.ts';
import { MemoryState, type MemoryStateOptions, type SharedState } from './shared-state.ts';
import { VerifyQueue } from './verify-queue.ts';

/** scrypt runs on libuv's 4-thread pool: leave at least two threads for DNS and files. */
const VERIFY_CONCURRENCY = 2;
/** Credential checks waiting beyond this are answered 503 at once. */
const VERIFY_MAX_WAITING = 256;
/** Other credential checks are cheap; their queue only serialises them per address. */
const CHECK_CONCURRENCY = 16;
const CHECK_MAX_WAITING = 2048;

export interface Gate {
  readonly origin: OriginPolicy;
  readonly signer: CookieSigner;
  readonly authenticator: Authenticator;
  /** Lockout, upgrade rate and session slots: this process's, or the deployment's (store). */
  readonly state: SharedState;
  /** The queue expensive credential checks (scrypt, JWT) wait in. */
  readonly verifications: VerifyQueue;
  /** What a client address is counted under: IPv6 by its `limits.ipv6Prefix` network. */
  addressKey(ip: string): string;
  /**
   * A request a foreign page made (Sec-Fetch-Site cross-site or same-site, or an Origin that
   * is not ours): its credentials are neither checked nor counted, so an `<img>` on any site
   * cannot lock a visitor out (SECURITY.md H4).
   */
  foreign(req: IncomingMessage): boolean;
  /** The client's address: the socket's, or X-Forwarded-For's when the peer is a trusted proxy. */
  clientIp(req: IncomingMessage): string;
  /** Whether the direct peer is a configured trusted proxy. */
  fromTrustedProxy(req: IncomingMessage): boolean;
  /** Whether a peer address is a configured trusted proxy. */
  isTrustedPeer(ip: string): boolean;
  /** Host header allowlist (DNS rebinding defence, SECURITY.md A5). */
  hostAllowed(req: IncomingMessage): boolean;
  /** Authenticates with lockout bookkeeping; throws AuthError or LockedOut. */
  authenticate(req: IncomingMessage): Promise<Principal>;
}

/** The lockout and rate settings every SharedState applies. */
export function stateOptions(config: Readonly<Config>): MemoryStateOptions {
  return {
    authFailures: config.limits.authFailures,
    authLockoutMs: config.limits.authLockout,
    upgradesPerMinute: config.limits.upgradesPerIpPerMinute,
    upgradeBurst: config.limits.upgradeBurst,
  };
}

/** This process's memory, or the store that every instance shares (`store`). */
function createState(config: Readonly<Config>, log: Logger): SharedState {
  return config.store === undefined
    ? new MemoryState(stateOptions(config))
    : new RedisState(config.store, stateOptions(config), log);
}

export class LockedOut extends Error {
  override name = 'LockedOut';
  readonly retryAfterSeconds: number;
  constructor(seconds: number) {
    super('too many failed attempts');
    this.retryAfterSeconds = seconds;
  }
}

/**
 * `log` is for the store's state changes; `cookieKey` signs login cookies when the config
 * sets no `cookieSecret` (cluster workers); `shared` replaces the state (a worker's IPC).
 */
export function createGate(
  config: Readonly<Config>,
  log: Logger,
  cookieKey?: string,
  shared?: SharedState,
): Gate {
  const state = shared ?? createState(config, log);
  const trust = proxyaddr.compile(
    config.trustedProxies.length === 0 ? [] : [...config.trustedProxies],
  );
  const signer = new CookieSigner(
    config.auth.mode === 'password' ? (config.auth.cookieSecret ?? cookieKey) : undefined,
  );
  const authenticator = createAuthenticator(config.auth, signer);
  const verifications = new VerifyQueue(VERIFY_CONCURRENCY, VERIFY_MAX_WAITING);
  const checks = new VerifyQueue(CHECK_CONCURRENCY, CHECK_MAX_WAITING);
  const keyOf = (ip: string): string => addressKey(ip, config.limits.ipv6Prefix);
  const hostRule = createHostRule(config);
  const origin = createOriginPolicy(config.origins, config.publicUrl, {
    allowMissing: config.allowMissingOrigin,
    secure: config.tls !== undefined,
  });
  const isTrustedPeer = (peer: string): boolean =>
    config.trustedProxies.length > 0 && trust(peer, 0);
  // A request relayed by another instance (forward.ts) is judged as that instance saw it.
  const fromTrustedProxy = (req: IncomingMessage): boolean => {
    const relayed = relayedClient(req);
    if (relayed !== undefined) return relayed.trusted;
    const peer = req.socket.remoteAddress;
    return peer !== undefined && isTrustedPeer(peer);
  };
  const clientIp = (req: IncomingMessage): string =>
    relayedClient(req)?.ip ??
    (config.trustedProxies.length === 0
      ? (req.socket.remoteAddress ?? 'unknown')
      : proxyaddr(req, trust));
  const foreign = (req: IncomingMessage): boolean => {
    const o = req.headers.origin;
    if (o !== undefined && o !== 'null') return checkOrigin(origin, req) !== 'ok';
    const site = req.headers['sec-fetch-site'];
    return site === 'cross-site' || site === 'same-site';
  };
  const attempt = async (req: IncomingMessage, key: string): Promise<Principal> => {
    const banned = await state.bannedFor(key);
    if (banned > 0) throw new LockedOut(banned);
    try {
      // Success does not clear the address's failures: otherwise one valid account could
      // interleave its own requests with unlimited guesses at others. Failures age out.
      return await authenticator.authenticate(req, fromTrustedProxy(req));
    } catch (err) {
      if (err instanceof AuthError && err.failedAttempt) await state.recordFailure(key);
      throw err;
    }
  };
  return {
    origin,
    signer,
    authenticator,
    state,
    verifications,
    addressKey: keyOf,
    foreign,
    clientIp,
    fromTrustedProxy,
    isTrustedPeer,
    hostAllowed: (req) => hostRule.allows(req.headers.host),
    authenticate(req) {
      if (authenticator.mode !== 'none' && foreign(req))
        return Promise.reject(new AuthError(401, 'credentials from a foreign page ignored', false));
      if (authenticator.mode === 'none') return authenticator.authenticate(req, false);
      const key = keyOf(clientIp(req));
      // The ban check, the check and the failure count are asynchronous (JWT signatures, a
      // shared store): one at a time per address, each after a fresh ban check, so parallel
      // guesses cannot all be checked before the first failure counts.
      return checks.run(key, () => attempt(req, key));
    },
  };
}
