/**
 * The touch key bar: keys a phone keyboard lacks, and Copy/Paste (a phone has no Ctrl+Shift+C
 * and no middle click). Ctrl and Alt latch for the next key.
 */
import { byId, type Disposable, listen } from './dom.ts';
import { BAR_KEYS, type BarKey, type Modifiers } from './keys.ts';

export interface KeyBarActions {
  copy(): void;
  paste(): void;
}

export class KeyBar {
  #bar = byId('key-bar', HTMLDivElement);
  #mods: Modifiers = { ctrl: false, alt: false };
  #listeners: Disposable[];

  constructor(
    onKey: (key: BarKey, mods: Modifiers) => void,
    keepFocus: () => void,
    actions: KeyBarActions,
  ) {
    this.#listeners = [
      // Keep the on-screen keyboard up: a tap on the bar must not take focus from the input.
      listen(this.#bar, 'pointerdown', (e) => e.preventDefault()),
      listen(this.#bar, 'click', (e) => {
        const btn = e.target instanceof Element ? e.target.closest('button') : null;
        const key = btn?.getAttribute('data-key');
        const action = btn?.getAttribute('data-action');
        if (action === 'copy') actions.copy();
        else if (action === 'paste') actions.paste();
        else if (key === 'Control' || key === 'Alt') {
          this.#toggle(key === 'Control' ? 'ctrl' : 'alt');
        } else {
          const barKey = BAR_KEYS.find((k) => k === key);
          if (barKey !== undefined) onKey(barKey, this.consume());
        }
        keepFocus();
      }),
    ];
  }

  set visible(on: boolean) {
    this.#bar.hidden = !on;
  }

  /** Copy is offered while something is selected. */
  set canCopy(on: boolean) {
    const btn = this.#bar.querySelector('button[data-action="copy"]');
    if (btn instanceof HTMLButtonElement) btn.hidden = !on;
  }

  get latched(): boolean {
    return this.#mods.ctrl || this.#mods.alt;
  }

  /** The latched modifiers, released. */
  consume(): Modifiers {
    const mods = this.#mods;
    this.#mods = { ctrl: false, alt: false };
    this.#sync();
    return mods;
  }

  dispose(): void {
    for (const l of this.#listeners) l.dispose();
    this.consume();
  }

  #toggle(which: keyof Modifiers): void {
    this.#mods = { ...this.#mods, [which]: !this.#mods[which] };
    this.#sync();
  }

  #sync(): void {
    for (const btn of this.#bar.querySelectorAll('button[data-key]')) {
      const key = btn.getAttribute('data-key');
      if (key === 'Control') btn.setAttribute('aria-pressed', String(this.#mods.ctrl));
      if (key === 'Alt') btn.setAttribute('aria-pressed', String(this.#mods.alt));
    }
  }
}
