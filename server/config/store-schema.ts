/** `store` in the config file: where limits shared by every instance live (issue 16). */
import { createHash } from 'node:crypto';
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
    /**
     * This instance's own address as the other instances reach it (`10.1.2.3:8080`, or an
     * address alone for the listening port; `advertiseEnv: POD_IP` in Kubernetes). Set, a
     * resume or watch token of another instance is relayed to it (forward.ts).
     */
    advertise: z
      .string()
      .regex(
        /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]|[0-9A-Fa-f:.]{2,45})(?::\d{1,5})?$/,
        'must be an address or name, optionally with :port (10.1.2.3:8080, [fd00::1]:8080)',
      )
      .optional(),
  })
  .optional();

export type StoreConfig = NonNullable<z.output<typeof storeSchema>>;

/** Cross-key rules of `store`, as [key path, message]. */
export function storeKeyProblems(c: {
  store?: StoreConfig | undefined;
  tls?: unknown;
}): [(string | number)[], string][] {
  if (c.store?.advertise === undefined || c.tls === undefined) return [];
  return [
    [
      ['store', 'advertise'],
      'instances relay to each other over plain HTTP: end TLS at the proxy in front (not with tls)',
    ],
  ];
}

/**
 * The `instanceId` of an instance that advertises an address and sets none: derived from
 * the address, so every worker of one instance has the same one and a Deployment needs no
 * per-pod setting (two live instances never share an address).
 */
export function withDefaultInstanceId<
  C extends { instanceId?: string | undefined; store?: StoreConfig | undefined },
>(c: C): C {
  const advertise = c.store?.advertise;
  if (c.instanceId !== undefined || advertise === undefined) return c;
  const digest = createHash('sha256').update(advertise).digest('hex');
  return { ...c, instanceId: `i${digest.slice(0, 12)}` };
}
