/**
 * `websockify` in the config file: what makes Porthole a drop-in for websockify (noVNC and
 * other byte-bridge clients). The `porthole [SOURCE_ADDR:]PORT TARGET` command line writes it.
 */
import { z } from 'zod';

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
