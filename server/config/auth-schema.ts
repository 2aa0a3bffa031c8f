/** The `auth` section of the config (zod), kept beside the authenticators it configures. */
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
      algorithms: z.array(z.string()).min(1).default(['HS256', 'RS256', 'ES256', 'EdDSA']),
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
    if (
      a.mode === 'jwt' &&
      [a.secret, a.publicKey, a.jwks, a.jwksUrl].every((k) => k === undefined)
    ) {
      ctx.addIssue({
        code: 'custom',
        message: 'jwt mode needs one of secret, publicKey, jwks or jwksUrl',
      });
    }
  });

export type AuthConfig = z.output<typeof authSchema>;

export const hostAllowSchema = z
  .strictObject({ users: z.array(z.string()).default([]), groups: z.array(group).default([]) })
  .optional();
