/** The `auth` section of the config (zod), kept beside the authenticators it configures. */
import { createPublicKey } from 'node:crypto';
import { z } from 'zod';

const group = z.string().min(1).max(64);

export const authSchema = z
  .discriminatedUnion('mode', [
    z.strictObject({ mode: z.literal('none') }),
    z.strictObject({
      mode: z.literal('token'),
      tokens: z
        .array(
          z.strictObject({
            name: z.string().min(1).max(64),
            token: z.string().min(16, 'must be at least 16 characters'),
            groups: z.array(group).default([]),
          }),
        )
        .min(1, 'must list at least one token'),
    }),
    z.strictObject({
      mode: z.literal('password'),
      users: z
        .array(
          z.strictObject({
            name: z.string().min(1).max(64),
            passwordHash: z
              .string()
              .startsWith('scrypt$', 'must be a hash from `porthole --hash-password`'),
            groups: z.array(group).default([]),
          }),
        )
        .min(1, 'must list at least one user'),
      /** Signs login cookies; set it so logins survive restarts and are shared by workers. */
      cookieSecret: z.string().min(32, 'must be at least 32 characters').optional(),
      sessionTtl: z
        .number()
        .int()
        .positive()
        .default(12 * 3_600_000),
    }),
    z.strictObject({
      mode: z.literal('jwt'),
      secret: z.string().min(32, 'must be at least 32 characters').optional(),
      publicKey: z
        .string()
        .includes('BEGIN PUBLIC KEY', { message: 'must be a PEM public key' })
        .optional(),
      jwks: z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
      jwksUrl: z.url().optional(),
      /** Default: what the key can verify (HS* for a secret, from the key type for publicKey). */
      algorithms: z.array(z.string()).min(1).optional(),
      /** Tokens must carry `exp`, unless this is set: then `iat` + this age ends them. */
      maxTokenAge: z
        .union([
          z.number().int().positive(),
          z.string().regex(/^\d+\s*(s|m|h|d)$/, 'must be seconds or a duration like 30m, 12h, 7d'),
        ])
        .optional(),
      issuer: z.string().optional(),
      audience: z.string().optional(),
      cookie: z.string().default('porthole_jwt'),
      groupsClaim: z.string().default('groups'),
    }),
    z.strictObject({
      mode: z.literal('trusted-header'),
      userHeader: z.string().default('X-Forwarded-User'),
      groupsHeader: z.string().optional(),
    }),
  ])
  .superRefine((a, ctx) => {
    if (a.mode !== 'jwt') return;
    const keys = [a.secret, a.publicKey, a.jwks, a.jwksUrl].filter((k) => k !== undefined);
    if (keys.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: 'jwt mode needs exactly one of secret, publicKey, jwks or jwksUrl',
      });
      return;
    }
    const usable = keyAlgorithms(a);
    if (typeof usable === 'string') {
      ctx.addIssue({ code: 'custom', path: ['publicKey'], message: usable });
      return;
    }
    const keyName = a.secret !== undefined ? 'auth.secret' : 'auth.publicKey';
    for (const [i, alg] of (a.algorithms ?? []).entries()) {
      if (usable.algorithms.includes(alg)) continue;
      ctx.addIssue({
        code: 'custom',
        path: ['algorithms', i],
        message: `${alg} cannot verify with ${keyName} (${usable.kind}); use ${usable.algorithms.join(', ')}`,
      });
    }
  })
  .transform((a) => {
    if (a.mode !== 'jwt') return a;
    const usable = keyAlgorithms(a);
    const derived = typeof usable === 'string' ? [] : usable.algorithms;
    return { ...a, algorithms: a.algorithms ?? derived };
  });

const HMAC = ['HS256', 'HS384', 'HS512'];
const RSA_PSS = ['PS256', 'PS384', 'PS512'];
const RSA = ['RS256', 'RS384', 'RS512', ...RSA_PSS];
const EC: Readonly<Record<string, string>> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};
const ASYMMETRIC = [...RSA, ...Object.values(EC), 'EdDSA', 'Ed25519'];

/**
 * What a JWT key can verify, so that a config never lists algorithms that fail every token
 * (jose refuses an RS256 token for an EC key, silently, as a 401). A string is an error.
 */
function keyAlgorithms(a: {
  secret?: string | undefined;
  publicKey?: string | undefined;
}): { kind: string; algorithms: string[] } | string {
  if (a.secret !== undefined) return { kind: 'an HMAC secret', algorithms: HMAC };
  if (a.publicKey === undefined) return { kind: 'a key set', algorithms: ASYMMETRIC };
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey(a.publicKey);
  } catch (err) {
    return `is not a usable public key: ${(err as Error).message}`;
  }
  const type = key.asymmetricKeyType ?? 'unknown';
  if (type === 'rsa') return { kind: 'an RSA key', algorithms: RSA };
  if (type === 'rsa-pss') return { kind: 'an RSA-PSS key', algorithms: RSA_PSS };
  if (type === 'ed25519') return { kind: 'an Ed25519 key', algorithms: ['EdDSA', 'Ed25519'] };
  const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
  const ec = EC[curve];
  if (type === 'ec' && ec !== undefined) return { kind: `an EC ${curve} key`, algorithms: [ec] };
  return `is a ${type} ${curve} key, which JWT cannot use`.replace('  ', ' ');
}

export type AuthConfig = z.output<typeof authSchema>;

export const hostAllowSchema = z
  .strictObject({ users: z.array(z.string()).default([]), groups: z.array(group).default([]) })
  .optional();
