/** What the page's address asks for: a host to open at once, and whether to hide the chrome. */
import { isHostId } from '../shared/api.ts';
export interface Route {
  hostId: string | undefined;
  embed: boolean;
}

/** Reads `/?host=ID`, `/h/ID` and `&embed=1` from a pathname and a query string. */
export function parseRoute(pathname: string, search: string): Route {
  const params = new URLSearchParams(search);
  const embedParam = params.get('embed');
  const embed = embedParam === '1' || embedParam === 'true';
  const fromPath = /\/h\/([^/]+)\/?$/.exec(pathname)?.[1];
  let candidate = params.get('host') ?? undefined;
  if (candidate === undefined && fromPath !== undefined) {
    try {
      candidate = decodeURIComponent(fromPath);
    } catch {
      candidate = undefined;
    }
  }
  return { hostId: candidate !== undefined && isHostId(candidate) ? candidate : undefined, embed };
}

/** The address to show for a session on `hostId` (kept shareable: `/?host=ID`). */
export function routeUrl(hostId: string | undefined, embed: boolean): string {
  const params = new URLSearchParams();
  if (hostId !== undefined) params.set('host', hostId);
  if (embed) params.set('embed', '1');
  const query = params.toString();
  // Relative: resolved against the page's <base href> (the server's basePath).
  return query === '' ? './' : `./?${query}`;
}
