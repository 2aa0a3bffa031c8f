/** The host picker: the list from /api/hosts, a filter box and listbox keyboard navigation. */

import { byId, type Disposable, h, listen } from './dom.ts';
import { filterHosts, type HostInfo, orderHosts, parseHostList } from './host-list.ts';
import { authHeaders } from './session-token.ts';

export interface PickerHooks {
  choose(host: HostInfo): void;
}

export class HostPicker {
  #section = byId('picker', HTMLElement);
  #filter = byId('host-filter', HTMLInputElement);
  #list = byId('host-list', HTMLDivElement);
  #count = byId('host-count', HTMLParagraphElement);
  #empty = byId('picker-empty', HTMLDivElement);
  #hooks: PickerHooks;
  #hosts: HostInfo[] = [];
  #recent: readonly string[] = [];
  #shown: HostInfo[] = [];
  #active = 0;
  #listeners: Disposable[] = [];

  constructor(hooks: PickerHooks) {
    this.#hooks = hooks;
    this.#listeners.push(
      listen(this.#filter, 'input', () => {
        this.#active = 0;
        this.#render();
      }),
      listen(this.#filter, 'keydown', (e) => this.#onKey(e)),
      listen(this.#list, 'click', (e) => {
        const li = e.target instanceof Element ? e.target.closest('[data-id]') : null;
        const host = this.#shown.find((x) => x.id === li?.getAttribute('data-id'));
        if (host !== undefined) this.#hooks.choose(host);
      }),
    );
  }

  /** Shows the picker and loads the hosts (again). */
  async show(recent: readonly string[]): Promise<void> {
    this.#recent = recent;
    // The last used host is first and highlighted: Enter goes straight back to it.
    this.#active = 0;
    this.#section.hidden = false;
    // On a phone, focusing would throw up the on-screen keyboard over the list.
    if (!window.matchMedia('(pointer: coarse)').matches) this.#filter.focus();
    if (this.#hosts.length === 0) this.#message('Loading hosts…');
    try {
      const res = await fetch('api/hosts', { cache: 'no-store', headers: authHeaders() });
      if (res.status === 401) {
        await this.#needSignIn(res);
        return;
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      this.#hosts = parseHostList(await res.json());
    } catch {
      if (this.#hosts.length === 0) {
        this.#message(
          'Could not load the list of hosts. Check your connection and reload the page.',
        );
        return;
      }
    }
    this.#render();
  }

  /** Password mode has a login page to go to; other modes need a link with a token. */
  async #needSignIn(res: Response): Promise<void> {
    const body: unknown = await res.json().catch(() => undefined);
    const login =
      typeof body === 'object' && body !== null && 'login' in body ? body.login : undefined;
    if (login === 'login') {
      // Relative to the page's <base href>: the server may be mounted under a basePath.
      location.assign('login');
      return;
    }
    this.#message(
      'This server needs you to sign in. Open it from the link or page that gave you access.',
    );
  }

  hide(): void {
    this.#section.hidden = true;
  }

  focusFilter(): void {
    this.#filter.focus();
    this.#filter.select();
  }

  #message(text: string): void {
    this.#list.replaceChildren();
    this.#count.textContent = '';
    this.#empty.hidden = false;
    this.#empty.textContent = text;
  }

  #render(): void {
    const query = this.#filter.value;
    this.#shown = filterHosts(orderHosts(this.#hosts, this.#recent), query);
    this.#active = Math.min(this.#active, Math.max(0, this.#shown.length - 1));
    const total = this.#hosts.length;
    this.#count.textContent =
      query.trim() === ''
        ? `${total} ${total === 1 ? 'host' : 'hosts'}`
        : `${this.#shown.length} of ${total} ${total === 1 ? 'host' : 'hosts'}`;
    this.#list.replaceChildren(...this.#shown.map((host) => this.#item(host)));
    this.#empty.hidden = this.#shown.length > 0;
    if (this.#shown.length === 0) {
      this.#empty.textContent =
        total === 0 ? 'This server has no hosts configured.' : `No host matches “${query.trim()}”.`;
    }
    this.#syncActive();
  }

  #item(host: HostInfo): HTMLDivElement {
    const recent = this.#recent[0] === host.id;
    const meta = [
      host.protocol === 'builtin' ? 'built in' : host.protocol,
      host.input === 'line' ? 'command line' : 'keystrokes',
      host.address,
      host.players === undefined ? undefined : `${host.players} online`,
    ].filter((x): x is string => x !== undefined);
    return h(
      'div',
      {
        className: 'host',
        attrs: {
          role: 'option',
          id: `host-opt-${host.id}`,
          'data-id': host.id,
          'aria-selected': 'false',
        },
      },
      [
        h('span', {
          className: 'host-initial',
          text: initial(host.name),
          attrs: { 'aria-hidden': 'true' },
        }),
        h('span', { className: 'host-body' }, [
          h('span', { className: 'host-line' }, [
            h('span', { className: 'host-name', text: host.name }),
            recent ? h('span', { className: 'badge', text: 'last used' }) : undefined,
          ]),
          host.description === undefined
            ? undefined
            : h('span', { className: 'host-desc', text: host.description }),
          h('span', { className: 'host-meta' }, [
            ...host.tags.map((t) => h('span', { className: 'tag', text: t })),
            h('span', { className: 'host-facts', text: meta.join(' · ') }),
          ]),
        ]),
        h('span', { className: 'host-go', text: '↵', attrs: { 'aria-hidden': 'true' } }),
      ],
    );
  }

  #onKey(e: KeyboardEvent): void {
    const n = this.#shown.length;
    const moves: Record<string, number> = {
      ArrowDown: this.#active + 1,
      ArrowUp: this.#active - 1,
      PageDown: this.#active + 5,
      PageUp: this.#active - 5,
    };
    const target = moves[e.key];
    if (target !== undefined && n > 0) {
      this.#active = Math.min(n - 1, Math.max(0, target));
    } else if ((e.key === 'Home' || e.key === 'End') && e.ctrlKey && n > 0) {
      this.#active = e.key === 'Home' ? 0 : n - 1;
    } else if (e.key === 'Enter') {
      const host = this.#shown[this.#active];
      if (host !== undefined) this.#hooks.choose(host);
    } else if (e.key === 'Escape' && this.#filter.value !== '') {
      this.#filter.value = '';
      this.#active = 0;
      this.#render();
    } else {
      return;
    }
    e.preventDefault();
    this.#syncActive();
  }

  #syncActive(): void {
    const items = this.#list.querySelectorAll('[data-id]');
    for (const [i, li] of items.entries())
      li.setAttribute('aria-selected', String(i === this.#active));
    const active = items[this.#active];
    if (active === undefined) this.#filter.removeAttribute('aria-activedescendant');
    else {
      this.#filter.setAttribute('aria-activedescendant', active.id);
      active.scrollIntoView({ block: 'nearest' });
    }
  }
}

function initial(name: string): string {
  const first = [...name.trim()][0] ?? '?';
  return first.toUpperCase();
}
