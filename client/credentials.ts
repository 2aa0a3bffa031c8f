/**
 * A token handed to the page as `?token=...` (auth mode token or jwt): kept for this tab
 * in sessionStorage and removed from the address bar at once, so it is not bookmarked,
 * shared in a screenshot or sent on in a Referer. Fetches send it as a Bearer header; the
 * WebSocket URL carries it as `token=` because browsers cannot set WebSocket headers (the
 * server redacts it from logs).
 */
const KEY = 'porthole.token';

interface Place {
  href: string;
}

export interface TokenStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Moves a `token` query parameter into `store`; returns the URL to show without it. */
export function captureToken(place: Place, store: TokenStore): string | undefined {
  const url = new URL(place.href);
  const token = url.searchParams.get('token');
  if (token === null) return undefined;
  if (token !== '') store.setItem(KEY, token);
  url.searchParams.delete('token');
  return `${url.pathname}${url.search}${url.hash}`;
}

export function readToken(store: TokenStore): string | undefined {
  const t = store.getItem(KEY);
  return t === null || t === '' ? undefined : t;
}
