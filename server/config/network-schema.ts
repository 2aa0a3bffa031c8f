/** Config values about the network: listen addresses and the CIDRs of trusted proxies. */
import { z } from 'zod';

/** `listen`: where Porthole serves the web client and WebSockets. */
export const listenSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8080),
  /** Plain HTTP/ws on a non-loopback address must be asked for (e.g. behind an ingress). */
  allowPlaintext: z.boolean().default(false),
});

/** `HOST:PORT`, `[v6]:PORT` or a bare port (loopback): a listener of its own. */
export const listenAddress = z.union([z.number().int(), z.string()]).transform((v, ctx) => {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(String(v).trim());
  const port = Number(m?.[2]);
  if (m === null || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not HOST:PORT or a port` });
    return z.NEVER;
  }
  return { host: m[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1', port };
});

/** An address or CIDR (`trustedProxies`), or one of the named ranges. */
export const cidr = z
  .string()
  .regex(
    /^[0-9a-fA-F:.]+(\/\d{1,3})?$|^(loopback|linklocal|uniquelocal)$/,
    'must be an address, a CIDR or loopback/linklocal/uniquelocal',
  );
