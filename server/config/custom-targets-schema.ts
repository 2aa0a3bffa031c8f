/** `customTargets` in the config file: which browser-chosen targets may be dialled. */
import { z } from 'zod';
import { parseCidr } from '../common/address.ts';
import { encodingSchema, newlineSchema } from './codec-schema.ts';

const portEntry = z
  .union([z.number().int().min(1).max(65535), z.string()])
  .transform((v, ctx): [number, number] => {
    if (typeof v === 'number') return [v, v];
    const m = /^([1-9][0-9]{0,4})-([1-9][0-9]{0,4})$/.exec(v.trim());
    const lo = Number(m?.[1]);
    const hi = Number(m?.[2]);
    if (m === null || !(lo <= hi && hi <= 65535)) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a port or a range like 4000-9999` });
      return z.NEVER;
    }
    return [lo, hi];
  });

const hostPattern = z
  .string()
  .regex(/^[A-Za-z0-9*?.:-]{1,253}$/, 'must be a host name or IP with * and ? wildcards')
  .transform((p) => p.toLowerCase());

const addressEntry = z.string().transform((v, ctx) => {
  const entry = parseCidr(v);
  if (entry === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not an IP address or CIDR` });
    return z.NEVER;
  }
  return entry;
});

/** `customTargets` in the config file. Add as `customTargets: customTargetsSchema` (optional key). */
export const customTargetsSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** No default: an operator who turns this on names the ports (no accidental telnet relay). */
    ports: z.array(portEntry).min(1).optional(),
    /** Ports refused even inside `ports`: common databases, brokers and admin UIs (no open relay to them). */
    denyPorts: z
      .array(portEntry)
      .prefault([
        5432, 5672, 5984, 6379, 6443, 7000, 7001, 8080, 8086, 8443, 8500, 9000, 9042, 9090, 9092,
        9100, 9200, 9300,
      ]),
    allowHosts: z.array(hostPattern).default(['*']),
    denyHosts: z.array(hostPattern).default([]),
    allowIpLiterals: z.boolean().default(true),
    /** Internal addresses or CIDRs that may be dialled anyway (exact, after canonicalising). */
    allowAddresses: z.array(addressEntry).default([]),
    protocol: z.enum(['telnet', 'tcp']).default('telnet'),
    encoding: encodingSchema,
    newline: newlineSchema,
  })
  .prefault({})
  .superRefine((c, ctx) => {
    if (c.enabled && c.ports === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['ports'],
        message: 'must list the ports players may reach, e.g. [4000-9999] (there is no default)',
      });
  })
  .transform((c) => ({ ...c, ports: c.ports ?? [] }));

export type CustomTargetsConfig = z.output<typeof customTargetsSchema>;
