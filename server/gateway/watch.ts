/**
 * Admission of a spectator (`/ws?watch=TOKEN`): the same header, rate and origin checks as
 * any upgrade (taken from the admission list), then the watch link and who may use it.
 * An unknown, revoked or expired link is a 404 before anything else is looked at.
 */
import type { IncomingMessage } from 'node:http';
import { SUBPROTOCOL } from '../../shared/protocol.ts';
import type { SessionShare } from '../session/share.ts';
import type { ShareRegistry } from '../session/shares.ts';
import { ADMISSION_CHECKS, type AdmissionContext, type Refusal } from './admission.ts';
import { AuthError, mayUse, type Principal } from './auth.ts';
import { offeredProtocols } from './handshake.ts';
import { LockedOut } from './limits.ts';

export interface WatchContext extends AdmissionContext {
  shares: ShareRegistry<SessionShare>;
}

export interface WatchAdmitted {
  share: SessionShare;
  principal: Principal;
}

type Attempt = Parameters<(typeof ADMISSION_CHECKS)[number]['run']>[1];

/** The checks a spectator shares with every upgrade; host and capacity are its own. */
const SHARED_CHECKS = new Set([
  'drain',
  'path',
  'method',
  'handshake',
  'host-header',
  'lockout',
  'upgrade-rate',
  'origin',
]);

const ANYONE: Principal = Object.freeze({ user: 'anonymous', groups: Object.freeze([]) });

const refusal = (status: number, reason: string): Refusal => ({
  status,
  reason,
  verdict: status === 401 ? 'auth-required' : status === 503 ? 'capacity' : 'unknown-host',
});

/** True when this upgrade asks to watch (`?watch=`), whatever else it carries. */
export function isWatchRequest(url: string | undefined): boolean {
  return url !== undefined && /[?&]watch=/.test(url);
}

export async function admitWatch(
  ctx: WatchContext,
  req: IncomingMessage,
): Promise<Refusal | WatchAdmitted> {
  const a: Attempt = { req, ip: ctx.gate.clientIp(req), mode: 'upgrade' };
  for (const check of ADMISSION_CHECKS) {
    if (!SHARED_CHECKS.has(check.name)) continue;
    const outcome = await check.run(ctx, a);
    if (outcome !== undefined) return outcome;
  }
  if (!(offeredProtocols(req.headers['sec-websocket-protocol'])?.has(SUBPROTOCOL) ?? false))
    return refusal(400, `spectators speak ${SUBPROTOCOL}`);
  const share = ctx.shares.find(a.url?.searchParams.get('watch') ?? '');
  if (share === undefined) return refusal(404, 'unknown or expired watch link');
  const who = await watcher(ctx, req, share);
  if ('status' in who) return who;
  if (share.full) return { ...refusal(503, 'too many spectators'), retryAfter: 30 };
  return { share, principal: who };
}

/** Who is asking, if the host's `watchers` lets them watch. */
async function watcher(
  ctx: WatchContext,
  req: IncomingMessage,
  share: SessionShare,
): Promise<Principal | Refusal> {
  const policy = share.watchers;
  if (policy === 'anyone') return ANYONE;
  let principal: Principal;
  try {
    principal = await (ctx.authenticate ?? ctx.gate.authenticate)(req);
  } catch (err) {
    if (err instanceof LockedOut) return refusal(429, 'too many failed attempts');
    if (err instanceof AuthError) return refusal(401, 'authentication required');
    throw err;
  }
  const host = ctx.hosts.get(share.session.hostId);
  const allowed =
    policy === 'signed-in' ? mayUse(principal, host?.config.allow) : mayUse(principal, policy);
  // Not allowed looks like no such link: a link's existence is not told to strangers.
  return allowed ? principal : refusal(404, 'unknown or expired watch link');
}
