/**
 * `websockify` in the config file: what makes Porthole a drop-in for websockify (noVNC and
 * other byte-bridge clients). The `porthole [SOURCE_ADDR:]PORT TARGET` command line writes it.
 */
import { z } from 'zod';
import { listenAddress } from './network-schema.ts';

export const websockifySchema = z
  .strictObject({
    /** The host id a client that names none (no `?host=`, no `?token=`) is bridged to. */
    defaultHost: z.string().min(1).optional(),
    /**
     * websockify's TokenFile: a file, or a directory of files, with lines `token: host:port`.
     * Read again at every connection (as websockify does), so edits apply at once.
     */
    tokenSource: z.string().min(1).optional(),
  })
  .optional();

export type WebsockifyConfig = NonNullable<z.output<typeof websockifySchema>>;

/** Top-level keys for how Porthole is served: mount point, extra static files, metrics. */
export const servingShape = {
  /** Where the client and every endpoint are mounted, e.g. `/terminal/` (always ends in `/`). */
  basePath: z
    .string()
    .regex(/^\/([A-Za-z0-9._~-]+\/?)*$/, 'must be a path like /terminal/')
    .transform((p) => (p.endsWith('/') ? p : `${p}/`))
    .default('/'),
  /** Another static client served at basePath before the bundled one (websockify's --web). */
  web: z.string().min(1).optional(),
  websockify: websockifySchema,
  /**
   * Prometheus metrics. With `listen` they are served there only (a port the Ingress does
   * not route; under --workers the primary answers for all workers); without it, the main
   * port answers /metrics to this machine only.
   */
  metrics: z.strictObject({ listen: listenAddress.optional() }).default({}),
  /**
   * Several instances behind one proxy: put in front of this instance's resume tokens and
   * watch links (`a.` + ...), so the proxy can send each back here (deploy/nginx).
   */
  instanceId: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a lower-case letter, then up to 31 of a-z 0-9 -')
    .optional(),
};

interface ServingKeysInput {
  hosts: readonly { id: string }[];
  auth: { mode: string };
  websockify?: WebsockifyConfig | undefined;
}

/** Cross-key rules of the websockify mode, as [key path, message]. */
export function servingKeyProblems(c: ServingKeysInput): [(string | number)[], string][] {
  const out: [(string | number)[], string][] = [];
  const { websockify } = c;
  if (c.hosts.length === 0 && websockify?.tokenSource === undefined)
    out.push([['hosts'], 'must list at least one host']);
  const fallback = websockify?.defaultHost;
  if (fallback !== undefined && !c.hosts.some((h) => h.id === fallback))
    out.push([['websockify', 'defaultHost'], `"${fallback}" is not the id of a configured host`]);
  if (websockify?.tokenSource !== undefined && c.auth.mode === 'token')
    out.push([
      ['websockify', 'tokenSource'],
      'cannot be combined with auth.mode token: both read ?token=',
    ]);
  return out;
}

/** The WebSocket paths: Porthole's own, websockify's (noVNC's default) and, in websockify mode, `/`. */
export function webSocketPaths(
  basePath: string,
  websockify: WebsockifyConfig | undefined,
): ReadonlySet<string> {
  const paths = new Set([`${basePath}ws`, `${basePath}websockify`]);
  // noVNC's `path=?token=X` (an empty path) asks for the root, as websockify accepts any path.
  if (websockify !== undefined) paths.add(basePath);
  return paths;
}
