/** Entry point: route to the picker or straight into a session, and own the page-wide state. */

import { byId, listen, listenDocument, listenWindow } from './dom.ts';
import type { HostInfo } from './host-list.ts';
import { loadRecent, rememberHost } from './host-list.ts';
import { HostPicker } from './host-picker.ts';
import { parseRoute, routeUrl } from './routing.ts';
import { adoptTokenFromUrl } from './session-token.ts';
import { SessionView } from './session-view.ts';
import { loadSettings, type Settings, saveSettings } from './settings.ts';
import { SettingsDialog } from './settings-dialog.ts';
import { browserStorage } from './storage.ts';

// First, before the router reads the URL: a `?token=` leaves the address bar at once.
adoptTokenFromUrl();
const storage = browserStorage();
const app = byId('app', HTMLDivElement);
const root = document.documentElement;
let settings = loadSettings(storage, window.matchMedia('(max-width: 480px)').matches);
let session: SessionView | undefined;
let embed = false;

const picker = new HostPicker({ choose: (host) => openHost(host.id, host, true) });
// Closing Settings puts focus back where typing goes (else Enter would reopen the dialog).
const settingsDialog = new SettingsDialog(
  settings,
  (next) => applySettings(next),
  () => {
    session?.focus();
    return session !== undefined;
  },
);

function applySettings(next: Settings): void {
  settings = next;
  saveSettings(storage, settings);
  root.dataset.theme = settings.theme;
  session?.applySettings(settings);
}

function showView(view: 'picker' | 'session'): void {
  app.dataset.view = view;
  byId('session', HTMLElement).hidden = view !== 'session';
  byId('session-actions', HTMLElement).hidden = view !== 'session';
  byId('picker-actions', HTMLElement).hidden = view !== 'picker';
  if (view === 'picker') {
    byId('session-title', HTMLDivElement).hidden = true;
    picker.show(loadRecent(storage)).catch(() => undefined);
  } else picker.hide();
}

/** A live session is not left by a stray click: ask first (issue 11). */
function mayLeave(): boolean {
  if (session?.live !== true) return true;
  return window.confirm(`Leave ${session.hostName}? The session will be disconnected.`);
}

function openHost(hostId: string, host: HostInfo | undefined, push: boolean): void {
  if (push && !mayLeave()) return;
  session?.dispose();
  rememberHost(storage, hostId);
  if (push) history.pushState(null, '', routeUrl(hostId, embed));
  showView('session');
  session = new SessionView({
    hostId,
    hostName: host?.name,
    defaultInput: host?.input,
    settings,
    storage,
  });
  session.start();
}

function showPicker(push: boolean): void {
  if (push && !mayLeave()) return;
  session?.dispose();
  session = undefined;
  document.title = 'Porthole';
  if (push) history.pushState(null, '', routeUrl(undefined, embed));
  showView('picker');
}

function route(): void {
  const r = parseRoute(location.pathname, location.search);
  embed = r.embed;
  root.classList.toggle('embed', embed);
  if (r.hostId !== undefined) openHost(r.hostId, undefined, false);
  else showPicker(false);
}

for (const id of ['btn-settings', 'btn-settings-picker']) {
  listen(byId(id, HTMLButtonElement), 'click', () => settingsDialog.open());
}
listen(byId('btn-hosts', HTMLButtonElement), 'click', () => showPicker(true));
listen(byId('brand-link', HTMLAnchorElement), 'click', (e) => {
  e.preventDefault();
  showPicker(true);
});
listenWindow('popstate', () => {
  // Back/Forward has already changed the address: staying means putting it back.
  if (session !== undefined && !mayLeave()) history.pushState(null, '', session.url);
  else route();
});
listenWindow('beforeunload', (e) => {
  if (session?.live === true) e.preventDefault();
});
listenDocument('keydown', (e) => {
  const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
  if (app.dataset.view === 'picker' && e.key === '/' && !typing) {
    e.preventDefault();
    picker.focusFilter();
  } else if (e.ctrlKey && e.shiftKey && e.key.toLowerCase() === 'f' && session !== undefined) {
    e.preventDefault();
    session.openSearch();
  }
});
// Keep the terminal above the on-screen keyboard: size the app to the visual viewport.
const vv = window.visualViewport;
if (vv !== null) {
  const sync = (): void => root.style.setProperty('--app-height', `${Math.round(vv.height)}px`);
  vv.addEventListener('resize', sync);
  sync();
}

root.dataset.theme = settings.theme;
route();
