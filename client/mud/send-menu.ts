/**
 * The menu of an MXP `<send href="a|b|c">` link, opened by right-click or long-press: one
 * item per command, labelled by its hint (MXP: with one hint more than commands, the first
 * is the link's tooltip and the rest label the items). textContent only; Esc, a click
 * elsewhere or a choice closes it.
 */
import { h } from '../dom.ts';

export interface MenuItem {
  label: string;
  command: string;
}

/** Labels for a link's commands from its `hint` attribute. DOM-free. */
export function menuItems(commands: readonly string[], hint: string): MenuItem[] {
  const hints = hint === '' ? [] : hint.split('|');
  const labels = hints.length === commands.length + 1 ? hints.slice(1) : hints;
  return commands.map((command, i) => ({ label: labels[i]?.trim() || command, command }));
}

export class SendMenu {
  #menu = h('div', { className: 'mud-menu', attrs: { role: 'menu' } });
  #choose: (command: string) => void;
  #onDown = (e: Event): void => {
    if (!(e.target instanceof Node) || !this.#menu.contains(e.target)) this.close();
  };
  #onKey = (e: KeyboardEvent): void => {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    e.stopPropagation();
    this.close();
  };

  constructor(choose: (command: string) => void) {
    this.#choose = choose;
    this.#menu.hidden = true;
    document.body.append(this.#menu);
  }

  get open(): boolean {
    return !this.#menu.hidden;
  }

  show(items: readonly MenuItem[], x: number, y: number): void {
    this.#menu.replaceChildren(
      ...items.map((item) => {
        const b = h('button', {
          className: 'mud-menu-item',
          text: item.label,
          attrs: { type: 'button', role: 'menuitem', title: item.command },
        });
        b.addEventListener('click', () => {
          this.close();
          this.#choose(item.command);
        });
        return b;
      }),
    );
    this.#menu.hidden = false;
    const r = this.#menu.getBoundingClientRect();
    const left = Math.max(4, Math.min(x, window.innerWidth - r.width - 4));
    const top = y + r.height > window.innerHeight - 4 ? Math.max(4, y - r.height) : y;
    this.#menu.style.left = `${left}px`;
    this.#menu.style.top = `${top}px`;
    document.addEventListener('pointerdown', this.#onDown, true);
    document.addEventListener('keydown', this.#onKey, true);
    this.#menu.querySelector('button')?.focus();
  }

  close(): void {
    if (this.#menu.hidden) return;
    this.#menu.hidden = true;
    document.removeEventListener('pointerdown', this.#onDown, true);
    document.removeEventListener('keydown', this.#onKey, true);
  }

  dispose(): void {
    this.close();
    this.#menu.remove();
  }
}
