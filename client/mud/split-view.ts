/**
 * Split-screen scrollback, as Mudlet has it: while the terminal is scrolled up, a pane over
 * its lower part keeps showing the newest rows, so history can be read while the fight goes
 * on. Scrolling back to the end or Esc closes it. The pane is drawn from xterm's buffer
 * (client/mud/cells.ts) with textContent only, at most once a frame.
 */
import type { IDisposable, ITheme, Terminal } from '@xterm/xterm';
import { h } from '../dom.ts';
import { lineRuns, type Run } from './cells.ts';

/** The share of the terminal the live pane takes. */
const PANE_SHARE = 0.38;

export class SplitView {
  enabled: boolean;
  #term: Terminal;
  #frame: HTMLElement;
  #rows = h('div', { className: 'mud-split-rows' });
  #pane = h('div', { className: 'mud-split', attrs: { 'aria-hidden': 'true' } }, [
    h('div', { className: 'mud-split-label', text: 'Live · Esc or scroll to the end to close' }),
    this.#rows,
  ]);
  #open = false;
  #frameId: number | undefined;
  #disposables: IDisposable[] = [];
  #onWheel = (): void => this.#soon();

  constructor(term: Terminal, frame: HTMLElement, enabled: boolean) {
    this.#term = term;
    this.#frame = frame;
    this.enabled = enabled;
    this.#pane.hidden = true;
    frame.append(this.#pane);
    frame.addEventListener('wheel', this.#onWheel, { passive: true });
    this.#disposables.push(
      term.onScroll(() => this.#soon()),
      term.onWriteParsed(() => this.#soon()),
      term.onRender(() => this.#soon()),
    );
  }

  get open(): boolean {
    return this.#open;
  }

  /** Closes the pane by going back to the live end. */
  close(): void {
    this.#term.scrollToBottom();
    this.#update();
  }

  dispose(): void {
    if (this.#frameId !== undefined) cancelAnimationFrame(this.#frameId);
    for (const d of this.#disposables) d.dispose();
    this.#frame.removeEventListener('wheel', this.#onWheel);
    this.#pane.remove();
  }

  #soon(): void {
    if (this.#frameId !== undefined) return;
    this.#frameId = requestAnimationFrame(() => {
      this.#frameId = undefined;
      this.#update();
    });
  }

  #update(): void {
    const b = this.#term.buffer.active;
    const scrolled = b.type === 'normal' && b.viewportY < b.baseY;
    const open = this.enabled && scrolled;
    if (open !== this.#open) {
      this.#open = open;
      this.#pane.hidden = !open;
      this.#frame.classList.toggle('mud-split-open', open);
    }
    if (open) this.#render();
  }

  #render(): void {
    const t = this.#term;
    const o = t.options;
    const screen = this.#frame.querySelector('.xterm-screen');
    const rowHeight = screen === null ? 18 : screen.clientHeight / t.rows;
    const count = Math.max(3, Math.floor(t.rows * PANE_SHARE));
    const theme: ITheme = o.theme ?? {};
    Object.assign(this.#pane.style, {
      height: `${Math.round(count * rowHeight + 22)}px`,
      fontFamily: o.fontFamily ?? 'monospace',
      fontSize: `${o.fontSize ?? 15}px`,
      lineHeight: `${rowHeight}px`,
      color: theme.foreground ?? '',
      background: theme.background ?? '',
      // Line up with the terminal's own text (the frame's padding differs on phones).
      paddingLeft: getComputedStyle(this.#frame).paddingLeft,
    });
    const b = t.buffer.active;
    const end = b.baseY + b.cursorY + 1;
    const cell = b.getNullCell();
    const rows: HTMLElement[] = [];
    for (let y = Math.max(0, end - count); y < end; y++) {
      const line = b.getLine(y);
      const runs =
        line === undefined ? [] : lineRuns(line, cell, theme, o.drawBoldTextInBrightColors ?? true);
      rows.push(h('div', { className: 'mud-split-row' }, runs.map(span)));
    }
    this.#rows.replaceChildren(...rows);
  }
}

function span(r: Run): HTMLElement {
  const s = h('span', { text: r.text });
  if (r.fg !== undefined) s.style.color = r.fg;
  if (r.bg !== undefined) s.style.background = r.bg;
  if (r.bold) s.style.fontWeight = '700';
  if (r.italic) s.style.fontStyle = 'italic';
  if (r.underline) s.style.textDecoration = 'underline';
  if (r.dim) s.style.opacity = '0.6';
  return s;
}
