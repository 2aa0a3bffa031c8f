/**
 * Why would an upgrade be refused? Browsers report every refused handshake as close 1006
 * with no detail, so the client asks `GET /api/admit?host=ID` and shows a real sentence.
 * Read-only: it takes no rate-limit token and opens nothing.
 */
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config/config.ts';
import type { SessionRegistry } from '../session/registry.ts';
import type { HostCatalogue } from '../targets/catalogue.ts';
import { AuthError, mayUse, type Principal } from './auth.ts';
import { type Gate, LockedOut } from './limits.ts';

export type AdmitVerdict =
  | 'ok'
  | 'draining'
  | 'locked-out'
  | 'rate-limited'
  | 'auth-required'
  | 'unknown-host'
  | 'capacity'
  | 'too-many';

export interface AdmitAnswer {
  verdict: AdmitVerdict;
  retryAfter?: number;
}

export interface ProbeContext {
  config: Readonly<Config>;
  gate: Gate;
  hosts: HostCatalogue;
  registry: SessionRegistry;
  draining: () => boolean;
}

export async function explainAdmission(
  ctx: ProbeContext,
  req: IncomingMessage,
  hostId: string,
): Promise<AdmitAnswer> {
  if (ctx.draining()) return { verdict: 'draining', retryAfter: 5 };
  const ip = ctx.gate.clientIp(req);
  const banned = ctx.gate.lockout.bannedFor(ip);
  if (banned > 0) return { verdict: 'locked-out', retryAfter: banned };
  const wait = ctx.gate.upgrades.retryAfterSeconds(ip);
  if (wait > 0) return { verdict: 'rate-limited', retryAfter: wait };
  let principal: Principal;
  try {
    principal = await ctx.gate.authenticate(req);
  } catch (err) {
    if (err instanceof LockedOut)
      return { verdict: 'locked-out', retryAfter: err.retryAfterSeconds };
    if (err instanceof AuthError) return { verdict: 'auth-required' };
    throw err;
  }
  const entry = ctx.hosts.get(hostId);
  if (entry === undefined || !mayUse(principal, entry.config.allow))
    return { verdict: 'unknown-host' };
  const { limits } = ctx.config;
  const { registry } = ctx;
  const hostCap = entry.config.maxSessions;
  if (
    registry.size >= limits.maxSessions ||
    (hostCap !== undefined && registry.countForHost(hostId) >= hostCap)
  ) {
    return { verdict: 'capacity', retryAfter: 30 };
  }
  const mine = principal.user === 'anonymous' ? 0 : registry.countForUser(principal.user);
  if (registry.countForIp(ip) >= limits.maxSessionsPerIp || mine >= limits.maxSessionsPerUser) {
    return { verdict: 'too-many', retryAfter: 30 };
  }
  return { verdict: 'ok' };
}
