/**
 * Selecting terminal text by touch (issue 11): xterm.js selects only with a mouse. A long
 * press (500 ms without moving) selects the word under the finger; moving the finger before
 * lifting it extends the selection from that word. A short touch or a swipe is left alone
 * (tapping focuses, swiping scrolls). The selection is then copied like a mouse selection
 * (copy on select, or the key bar's Copy).
 */
import type { Terminal } from '@xterm/xterm';
import type { Disposable } from './dom.ts';

const LONG_PRESS_MS = 500;
/** A finger that moves more than this (CSS px) before the long press is scrolling. */
const SLOP_PX = 10;

interface Cell {
  col: number;
  /** Buffer row (scrollback included). */
  row: number;
}

export function touchSelection(container: HTMLElement, term: Terminal): Disposable {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let start: { x: number; y: number } | undefined;
  let word: { from: Cell; to: Cell } | undefined;

  const cellAt = (x: number, y: number): Cell | undefined => {
    const screen = container.querySelector('.xterm-screen')?.getBoundingClientRect();
    if (screen === undefined || screen.width === 0 || screen.height === 0) return undefined;
    const clamp = (v: number, max: number): number => Math.min(max - 1, Math.max(0, v));
    const col = clamp(Math.floor(((x - screen.left) / screen.width) * term.cols), term.cols);
    const row = clamp(Math.floor(((y - screen.top) / screen.height) * term.rows), term.rows);
    return { col, row: row + term.buffer.active.viewportY };
  };

  const selectRange = (from: Cell, to: Cell): void => {
    const length = (to.row - from.row) * term.cols + (to.col - from.col) + 1;
    if (length > 0) term.select(from.col, from.row, length);
  };

  const pressed = (): void => {
    timer = undefined;
    if (start === undefined) return;
    const cell = cellAt(start.x, start.y);
    if (cell === undefined) return;
    word = wordAt(term, cell);
    selectRange(word.from, word.to);
  };

  const cancel = (): void => {
    clearTimeout(timer);
    timer = undefined;
    start = undefined;
  };

  const onStart = (e: TouchEvent): void => {
    cancel();
    word = undefined;
    const t = e.touches[0];
    if (e.touches.length !== 1 || t === undefined) return;
    start = { x: t.clientX, y: t.clientY };
    timer = setTimeout(pressed, LONG_PRESS_MS);
  };

  const onMove = (e: TouchEvent): void => {
    const t = e.touches[0];
    if (t === undefined) return;
    if (word === undefined) {
      if (start !== undefined && Math.hypot(t.clientX - start.x, t.clientY - start.y) > SLOP_PX)
        cancel();
      return;
    }
    // Selecting: the finger drags the selection's far end instead of scrolling the page.
    e.preventDefault();
    const cell = cellAt(t.clientX, t.clientY);
    if (cell === undefined) return;
    const before =
      cell.row < word.from.row || (cell.row === word.from.row && cell.col < word.from.col);
    if (before) selectRange(cell, word.to);
    else selectRange(word.from, later(cell, word.to));
  };

  const onEnd = (e: TouchEvent): void => {
    // After a long press the lifted finger must not also tap (focus, the browser's menu).
    if (word !== undefined) e.preventDefault();
    cancel();
  };

  const onMenu = (e: Event): void => {
    if (word !== undefined || timer !== undefined) e.preventDefault();
  };

  const opts = { capture: true, passive: false };
  container.addEventListener('touchstart', onStart, { capture: true, passive: true });
  container.addEventListener('touchmove', onMove, opts);
  container.addEventListener('touchend', onEnd, opts);
  container.addEventListener('touchcancel', cancel, { capture: true });
  container.addEventListener('contextmenu', onMenu, { capture: true });
  return {
    dispose: () => {
      cancel();
      container.removeEventListener('touchstart', onStart, { capture: true });
      container.removeEventListener('touchmove', onMove, opts);
      container.removeEventListener('touchend', onEnd, opts);
      container.removeEventListener('touchcancel', cancel, { capture: true });
      container.removeEventListener('contextmenu', onMenu, { capture: true });
    },
  };
}

const later = (a: Cell, b: Cell): Cell =>
  a.row > b.row || (a.row === b.row && a.col > b.col) ? a : b;

/** The run of non-blank cells under `cell` (a word, a URL), or the one cell if it is blank. */
function wordAt(term: Terminal, cell: Cell): { from: Cell; to: Cell } {
  const line = term.buffer.active.getLine(cell.row);
  const scratch = term.buffer.active.getNullCell();
  // Cell by cell, not by string index: a wide character fills two cells (the second is empty
  // with width 0 and belongs to the first).
  const blank = (x: number): boolean => {
    const c = line?.getCell(x, scratch);
    if (c === undefined) return true;
    return c.getWidth() !== 0 && c.getChars().trim() === '';
  };
  if (blank(cell.col)) return { from: cell, to: cell };
  let from = cell.col;
  let to = cell.col;
  while (from > 0 && !blank(from - 1)) from--;
  while (to < term.cols - 1 && !blank(to + 1)) to++;
  return { from: { col: from, row: cell.row }, to: { col: to, row: cell.row } };
}
