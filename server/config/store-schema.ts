/** `store` in the config file: where limits shared by every instance live (issue 16). */
import { z } from 'zod';

const ms = z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^(\d+)\s*(ms|s|m)$/.exec(v.trim());
  if (m === null) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration like 500ms, 30s or 2m` });
    return z.NEVER;
  }
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] ?? 'ms'] ?? 1);
});

export const storeSchema = z
  .strictObject({
    /** `redis://[user:password@]host:port[/db]` or `rediss://` (Redis or Valkey). */
    url: z.string().regex(/^rediss?:\/\/[^\s]+$/, 'must be a redis:// or rediss:// URL'),
    /** Store lost while running: `closed` refuses new sessions (503), `local` falls back to this instance's own limits. */
    onError: z.enum(['closed', 'local']).default('closed'),
    /** Key prefix, so that several deployments can share one Redis. */
    prefix: z.string().min(1).max(64).default('porthole:'),
    /** A session slot of an instance that died is freed after this long. */
    slotTtl: ms.default(30_000),
    /** A store operation slower than this counts as a store failure. */
    timeout: ms.default(1000),
  })
  .optional();

export type StoreConfig = NonNullable<z.output<typeof storeSchema>>;
