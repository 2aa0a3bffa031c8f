/**
 * The GMCP/MSDP panels: health, mana and movement gauges, the room with clickable exits and
 * a status line. Beside the terminal on wide screens, a compact strip above it on phones
 * (client/mud/mud.css). Built with textContent only; hidden until the host sends data.
 */
import { h } from '../dom.ts';
import { fraction, type Gauge, type MudState } from './mud-state.ts';

const GAUGES = [
  ['health', 'HP'],
  ['mana', 'MP'],
  ['movement', 'MV'],
] as const;

type GaugeKind = (typeof GAUGES)[number][0];

interface GaugeView {
  root: HTMLElement;
  fill: HTMLElement;
  num: HTMLElement;
}

export class Panels {
  readonly root: HTMLElement;
  #gauges = new Map<GaugeKind, GaugeView>();
  #roomName = h('div', { className: 'mud-room-name' });
  #roomArea = h('div', { className: 'mud-room-area' });
  #exits = h('div', { className: 'mud-exits', attrs: { role: 'group', 'aria-label': 'Exits' } });
  #room = h('section', { className: 'mud-room', attrs: { 'aria-label': 'Room' } }, [
    this.#roomName,
    this.#roomArea,
    this.#exits,
  ]);
  #status = h('div', { className: 'mud-status', attrs: { 'aria-label': 'Status' } });
  #go: (direction: string) => void;
  #exitKey = '';

  constructor(go: (direction: string) => void) {
    this.#go = go;
    const gauges = h('div', { className: 'mud-gauges' });
    for (const [kind, label] of GAUGES) {
      const fill = h('span', { className: 'mud-gauge-fill' });
      const num = h('span', { className: 'mud-gauge-num' });
      const root = h(
        'div',
        {
          className: 'mud-gauge',
          attrs: { 'data-kind': kind, role: 'meter', 'aria-label': label },
        },
        [
          h('span', { className: 'mud-gauge-label', text: label }),
          h('span', { className: 'mud-gauge-bar' }, [fill]),
          num,
        ],
      );
      root.hidden = true;
      gauges.append(root);
      this.#gauges.set(kind, { root, fill, num });
    }
    this.#room.hidden = true;
    this.#status.hidden = true;
    this.root = h(
      'aside',
      { className: 'mud-panel', attrs: { 'aria-label': 'Character and room' } },
      [gauges, this.#room, this.#status],
    );
    this.root.hidden = true;
  }

  render(s: MudState): void {
    let any = false;
    for (const [kind] of GAUGES) any = this.#gauge(kind, s[kind]) || any;
    any = this.#renderRoom(s) || any;
    const parts = [...s.status].map(([k, v]) => `${k} ${v}`);
    this.#status.textContent = parts.join(' · ');
    this.#status.hidden = parts.length === 0;
    any = any || parts.length > 0;
    this.root.hidden = !any;
  }

  #gauge(kind: GaugeKind, g: Gauge | undefined): boolean {
    const v = this.#gauges.get(kind);
    if (v === undefined) return false;
    v.root.hidden = g === undefined;
    if (g === undefined) return false;
    const f = fraction(g);
    v.fill.style.width = `${(f * 100).toFixed(1)}%`;
    v.root.dataset.level = f <= 0.25 ? 'low' : f <= 0.5 ? 'mid' : 'high';
    v.num.textContent = `${g.value}/${g.max}`;
    v.root.setAttribute('aria-valuenow', String(g.value));
    v.root.setAttribute('aria-valuemin', '0');
    v.root.setAttribute('aria-valuemax', String(g.max));
    return true;
  }

  #renderRoom(s: MudState): boolean {
    const r = s.room;
    this.#room.hidden = r === undefined || (r.name === '' && r.exits.length === 0);
    if (r === undefined) return false;
    this.#roomName.textContent = r.name;
    this.#roomArea.textContent = r.area;
    this.#roomArea.hidden = r.area === '';
    const key = r.exits.join('\n');
    if (key !== this.#exitKey) {
      this.#exitKey = key;
      this.#exits.replaceChildren(
        ...r.exits.map((dir) => {
          const b = h('button', {
            className: 'mud-exit',
            text: dir,
            attrs: { type: 'button', title: `Go ${dir}` },
          });
          b.addEventListener('click', () => this.#go(dir));
          return b;
        }),
      );
    }
    return !this.#room.hidden;
  }
}
