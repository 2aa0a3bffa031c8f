/**
 * The client-side event API (client/README.md "Event API"): every GMCP message, MSDP update
 * and panel state change is a `porthole:*` CustomEvent on `window`, and in embed mode also a
 * `postMessage` to the embedding page, so a MUD's own site can draw its own widgets. Only
 * pages allowed by the server's `frameAncestors` can embed Porthole, so only they hear it.
 * Read-only: nothing here lets a page send commands.
 */
import { fraction, type MudState } from './mud-state.ts';

export type MudEventType = 'gmcp' | 'msdp' | 'state';

/** The panel state as plain data (what `porthole:state` carries). */
export function stateDetail(s: MudState): Record<string, unknown> {
  const g = (x: MudState['health']) =>
    x === undefined ? null : { value: x.value, max: x.max, fraction: fraction(x) };
  return {
    health: g(s.health),
    mana: g(s.mana),
    movement: g(s.movement),
    room: s.room === undefined ? null : { ...s.room, exits: [...s.room.exits] },
    status: Object.fromEntries(s.status),
  };
}

export class MudEvents {
  #embed: boolean;
  #origin: string;

  constructor(embed: boolean) {
    this.#embed = embed && window.parent !== window;
    // The embedding page's origin when the browser tells us; frame-ancestors is the real guard.
    let origin = '*';
    try {
      if (document.referrer !== '') origin = new URL(document.referrer).origin;
    } catch {
      // No usable referrer: keep '*'.
    }
    this.#origin = origin;
  }

  emit(type: MudEventType, detail: Record<string, unknown>): void {
    window.dispatchEvent(new CustomEvent(`porthole:${type}`, { detail }));
    if (!this.#embed) return;
    try {
      window.parent.postMessage({ source: 'porthole', type, ...detail }, this.#origin);
    } catch {
      // Data that cannot be cloned or a parent that went away: events are best effort.
    }
  }
}
