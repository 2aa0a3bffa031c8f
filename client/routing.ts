/** What the page's address asks for: a host to open at once, and whether to hide the chrome. */
export interface Route {
  hostId: string | undefined;
  embed: boolean;
}

/** Host ids as the server's config allows them; anything else is not a deep link. */
const HOST_ID_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function isHostId(value: string): boolean {
  return HOST_ID_RE.test(value);
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
  return query === '' ? '/' : `/?${query}`;
}
