/** Config value types shared by several sections: durations and byte sizes. */
import { z } from 'zod';

const UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** A duration: a number of milliseconds, or a string like `500ms`, `10s`, `5m`, `8h`, `30d`; 0 = off. */
export const duration = z
  .union([z.number().int().nonnegative(), z.string()])
  .transform((v, ctx) => {
    if (typeof v === 'number') return v;
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(v.trim());
    const unit = m?.[2];
    if (m === null || unit === undefined || m[1] === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" is not a duration like 500ms, 10s, 5m or 8h`,
      });
      return z.NEVER;
    }
    return Math.round(Number(m[1]) * (UNITS_MS[unit] ?? 1));
  });

export const byteSize = z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^(\d+)\s*(B|KiB|MiB|GiB)?$/.exec(v.trim());
  if (m === null || m[1] === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a size like 65536, 512KiB or 4MiB` });
    return z.NEVER;
  }
  const mult = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[m[2] ?? 'B'] ?? 1;
  return Number(m[1]) * mult;
});
