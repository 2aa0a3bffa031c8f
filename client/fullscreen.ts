/**
 * Full screen for a session, and the keys a shell needs (issue 11). In a normal tab the
 * browser keeps Ctrl+W (close tab), Ctrl+T (new tab) and Ctrl+N (new window) for itself: the
 * page never sees them. In full screen, Chromium-based browsers let a page take them with the
 * Keyboard Lock API, so in raw mode they reach the terminal (Ctrl+W deletes a word in bash).
 * Firefox and Safari have no Keyboard Lock: there those keys stay the browser's, and leaving
 * a live session asks first (beforeunload).
 */
import { type Disposable, listen, listenDocument } from './dom.ts';

interface KeyboardLock {
  lock(codes?: string[]): Promise<void>;
  unlock(): void;
}

const SHELL_KEYS = ['KeyW', 'KeyT', 'KeyN'];

function keyboard(): KeyboardLock | undefined {
  const k = (navigator as Navigator & { keyboard?: Partial<KeyboardLock> }).keyboard;
  return typeof k?.lock === 'function' && typeof k.unlock === 'function'
    ? (k as KeyboardLock)
    : undefined;
}

/** Wires the full-screen button; `wantsKeys` says whether the session is in raw mode now. */
export function fullScreen(
  button: HTMLButtonElement,
  wantsKeys: () => boolean,
): Disposable & {
  sync(): void;
} {
  const root = document.documentElement;
  button.hidden = typeof root.requestFullscreen !== 'function';
  let locked = false;
  const sync = (): void => {
    const on = document.fullscreenElement !== null;
    button.setAttribute('aria-pressed', String(on));
    const kb = keyboard();
    const want = on && wantsKeys();
    if (kb === undefined || want === locked) return;
    locked = want;
    if (want) kb.lock(SHELL_KEYS).catch(() => undefined);
    else kb.unlock();
  };
  const listeners = [
    listen(button, 'click', () => {
      if (document.fullscreenElement !== null)
        void document.exitFullscreen().catch(() => undefined);
      else void root.requestFullscreen().catch(() => undefined);
    }),
    listenDocument('fullscreenchange', sync),
  ];
  return {
    sync,
    dispose: () => {
      for (const l of listeners) l.dispose();
      if (locked) keyboard()?.unlock();
      button.hidden = true;
      if (document.fullscreenElement !== null)
        void document.exitFullscreen().catch(() => undefined);
    },
  };
}
