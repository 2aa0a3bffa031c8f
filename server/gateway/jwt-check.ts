/** The jwt mode's verification (jose): keys from a secret, a PEM key or a JWKS, then the claims. */
import { createPublicKey } from 'node:crypto';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { AuthConfig } from '../config/auth-schema.ts';

type VerifyOptions = Parameters<typeof jwtVerify>[2];
type Verify = (token: string, options: VerifyOptions) => Promise<{ payload: JWTPayload }>;

async function jwtVerifier(config: Extract<AuthConfig, { mode: 'jwt' }>): Promise<Verify> {
  if (config.secret !== undefined) {
    const secret = new TextEncoder().encode(config.secret);
    return (token, options) => jwtVerify(token, secret, options);
  }
  if (config.publicKey !== undefined) {
    // A KeyObject, not a CryptoKey bound to one algorithm: an RSA key verifies RS* and PS*.
    const key = createPublicKey(config.publicKey);
    return (token, options) => jwtVerify(token, key, options);
  }
  const set: JWTVerifyGetKey =
    config.jwks !== undefined
      ? createLocalJWKSet(config.jwks as Parameters<typeof createLocalJWKSet>[0])
      : createRemoteJWKSet(new URL(config.jwksUrl ?? ''));
  return (token, options) => jwtVerify(token, set, options);
}

/** A verified token's identity, or why it was refused (the caller turns that into a 401). */
export type JwtVerdict =
  | { user: string; groups: string[]; expiresAt?: number }
  | { refused: string };

/** Verifies tokens for `auth: { mode: jwt }`: signature, algorithm, exp (or age), iss, aud. */
export function createJwtCheck(
  config: Extract<AuthConfig, { mode: 'jwt' }>,
): (token: string) => Promise<JwtVerdict> {
  // Key import is async; start it now, await it on first use. A bad key fails every login, loudly.
  const verifier = jwtVerifier(config);
  verifier.catch(() => {});
  const options: VerifyOptions = {
    algorithms: [...config.algorithms],
    // A token that never expires is refused, unless the operator bounds its age instead.
    ...(config.maxTokenAge === undefined
      ? { requiredClaims: ['exp'] }
      : { maxTokenAge: config.maxTokenAge }),
    ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
    ...(config.audience === undefined ? {} : { audience: config.audience }),
  };
  return async (token) => {
    let payload: JWTPayload;
    try {
      const verify = await verifier;
      ({ payload } = await verify(token, options));
    } catch {
      return { refused: 'invalid token' };
    }
    const user = typeof payload.sub === 'string' ? payload.sub : undefined;
    if (user === undefined) return { refused: 'token has no subject' };
    const claim = payload[config.groupsClaim];
    const groups = Array.isArray(claim)
      ? claim.filter((g): g is string => typeof g === 'string')
      : [];
    const expiresAt = tokenEnd(payload, config.maxTokenAge);
    return expiresAt === undefined ? { user, groups } : { user, groups, expiresAt };
  };
}

const SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Epoch ms when a verified token stops being good: its `exp`, or `iat` + maxTokenAge. */
function tokenEnd(
  payload: JWTPayload,
  maxTokenAge: number | string | undefined,
): number | undefined {
  const ends: number[] = [];
  if (typeof payload.exp === 'number') ends.push(payload.exp * 1000);
  if (maxTokenAge !== undefined && typeof payload.iat === 'number') {
    const m = /^(\d+)\s*([smhd])$/.exec(String(maxTokenAge));
    const age = m === null ? Number(maxTokenAge) : Number(m[1]) * (SECONDS[m[2] ?? 's'] ?? 1);
    ends.push((payload.iat + age) * 1000);
  }
  return ends.length === 0 ? undefined : Math.min(...ends);
}
