/** The browser side of credentials.ts: this tab's sessionStorage, the address bar, headers. */
import { captureToken, readToken, type TokenStore } from './credentials.ts';

function sessionStore(): TokenStore | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

/** Call once at start, before anything reads the URL. */
export function adoptTokenFromUrl(): void {
  const store = sessionStore();
  if (store === undefined) return;
  const clean = captureToken(location, store);
  if (clean !== undefined) history.replaceState(history.state, '', clean);
}

export function currentToken(): string | undefined {
  const store = sessionStore();
  return store === undefined ? undefined : readToken(store);
}

/** Headers for the page's own API calls. */
export function authHeaders(): Record<string, string> {
  const t = currentToken();
  return t === undefined ? {} : { authorization: `Bearer ${t}` };
}
