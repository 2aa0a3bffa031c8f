/**
 * The admin page, `/sessions/`: every live session (across workers and, with a store,
 * instances: the server merges them), refreshed every few seconds, each with an End button.
 * The data and the decision are the server's (`GET`/`DELETE /api/sessions`, admins only);
 * this page only shows them.
 */
import type { AdminSession, AdminSessionsResponse } from '../shared/api.ts';
import { byId, h, listen, plainText } from './dom.ts';
import { adoptTokenFromUrl, authHeaders } from './session-token.ts';
import { formatBytes } from './status.ts';

/** How often the list is fetched again while the page is visible. */
const REFRESH_MS = 5000;

const REFUSALS: Readonly<Record<number, string>> = {
  401: 'Sign in to see live sessions.',
  403: 'Live sessions are only for the server’s admins.',
  404: 'The admin view is off on this server (no sign-in configured).',
};

adoptTokenFromUrl();
const count = byId('sessions-count', HTMLSpanElement);
const rows = byId('sessions-rows', HTMLTableSectionElement);
/** A sentence about the last End, kept across refreshes until the next one. */
let notice = '';

/** `75 s` → `1 min`, `3 h 5 min`: how long a session has been open. */
function formatAge(ms: number): string {
  const min = Math.floor(Math.max(0, ms) / 60_000);
  if (min < 1) return 'just now';
  if (min < 60) return `${min} min`;
  const hours = Math.floor(min / 60);
  return min % 60 === 0 ? `${hours} h` : `${hours} h ${min % 60} min`;
}

async function end(s: AdminSession): Promise<void> {
  const who = s.user === '' ? 'this session' : `${s.user}’s session`;
  if (
    !confirm(`End ${who} on ${s.host}? The browser is disconnected and the host connection closed.`)
  )
    return;
  const res = await fetch(`api/sessions/${encodeURIComponent(s.id)}`, {
    method: 'DELETE',
    headers: authHeaders(),
  });
  if (res.status === 204) notice = `Ended ${who} on ${s.host}.`;
  else if (res.status === 404) notice = 'That session had already ended.';
  else notice = REFUSALS[res.status] ?? `The server answered ${res.status}.`;
  await refresh();
}

function row(s: AdminSession, now: number): HTMLTableRowElement {
  const since = Date.parse(s.since);
  // data-label names the column in the phone layout, where each row is a card (style.css).
  const cell = (label: string, text: string, title?: string): HTMLTableCellElement =>
    h('td', { text, attrs: { 'data-label': label, ...(title === undefined ? {} : { title }) } });
  const button = h('button', {
    className: 'btn',
    text: 'End',
    attrs: {
      type: 'button',
      'aria-label': `End the session of ${s.user || 'anonymous'} on ${s.host}`,
    },
  });
  listen(button, 'click', () => void end(s));
  return h('tr', { attrs: { 'data-session': s.id } }, [
    cell('User', s.user === '' ? '—' : plainText(s.user, 80)),
    cell('Address', s.clientIp),
    cell('Host', plainText(s.host, 80)),
    cell('Since', formatAge(now - since), new Date(since).toLocaleString()),
    cell('Down / up', `↓ ${formatBytes(s.bytesDown)}  ↑ ${formatBytes(s.bytesUp)}`),
    cell('State', s.detached ? 'held for resume' : 'connected'),
    h('td', {}, [button]),
  ]);
}

async function refresh(): Promise<void> {
  const res = await fetch('api/sessions', { headers: authHeaders(), cache: 'no-store' });
  if (!res.ok) {
    count.textContent = REFUSALS[res.status] ?? `The server answered ${res.status}.`;
    rows.replaceChildren();
    return;
  }
  const { sessions } = (await res.json()) as AdminSessionsResponse;
  sessions.sort((a, b) => Date.parse(a.since) - Date.parse(b.since));
  const now = Date.now();
  rows.replaceChildren(...sessions.map((s) => row(s, now)));
  const n = sessions.length;
  const summary = n === 0 ? 'No live sessions.' : `${n} live session${n === 1 ? '' : 's'}.`;
  count.textContent = notice === '' ? summary : `${notice} ${summary}`;
  document.documentElement.dataset.ready = 'true';
}

const tick = (): void => {
  if (document.visibilityState === 'visible') void refresh().catch(() => {});
  setTimeout(tick, REFRESH_MS);
};
void refresh()
  .catch((err: unknown) => {
    count.textContent = `Could not load the sessions: ${plainText(String(err), 200)}`;
  })
  .finally(() => setTimeout(tick, REFRESH_MS));
