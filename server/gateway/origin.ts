/**
 * Origin policy for WebSocket upgrades (cross-site WebSocket hijacking defence,
 * SECURITY.md A1–A4): only an exact scheme+host+port match passes.
 */
import type { IncomingMessage } from 'node:http';
import { canonicalOrigin } from '../common/canonical-origin.ts';

export interface OriginPolicy {
  /** Explicit allowlist (canonical origins). Empty = same origin as the request's Host. */
  allowed: ReadonlySet<string>;
  allowMissing: boolean;
  secure: boolean;
}

export function createOriginPolicy(
  origins: readonly string[],
  publicUrl: string | undefined,
  opts: {
    allowMissing: boolean;
    secure: boolean;
  },
): OriginPolicy {
  const allowed = new Set<string>();
  for (const o of [...origins, ...(publicUrl === undefined ? [] : [publicUrl])]) {
    const c = canonicalOrigin(o);
    if (c === undefined) throw new Error(`"${o}" is not an http(s) origin`);
    allowed.add(c);
  }
  return { allowed, allowMissing: opts.allowMissing, secure: opts.secure };
}

export type OriginVerdict = 'ok' | 'missing' | 'forbidden';

export function checkOrigin(policy: OriginPolicy, req: IncomingMessage): OriginVerdict {
  const raw = req.headers.origin;
  if (raw === undefined || raw === '') return policy.allowMissing ? 'ok' : 'missing';
  // Compare the header as sent: a trailing dot, upper case or default-port spelling is not an exact match.
  const origin = canonicalOrigin(raw);
  if (origin === undefined || origin !== raw) return 'forbidden';
  if (policy.allowed.size > 0) return policy.allowed.has(origin) ? 'ok' : 'forbidden';
  const host = req.headers.host;
  if (host === undefined) return 'forbidden';
  const scheme = policy.secure ? 'https' : 'http';
  return canonicalOrigin(`${scheme}://${host}`) === origin ? 'ok' : 'forbidden';
}
