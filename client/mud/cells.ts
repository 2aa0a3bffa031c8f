/**
 * Terminal buffer lines as styled runs of text, with colours resolved against the theme: what
 * the split-scrollback pane draws and what the HTML session log writes. DOM-free (works on
 * xterm's buffer interfaces, which tests can fake).
 */
import type { IBuffer, IBufferCell, IBufferLine, ITheme } from '@xterm/xterm';

export interface Run {
  text: string;
  /** CSS colours; undefined for the theme's default. */
  fg: string | undefined;
  bg: string | undefined;
  bold: boolean;
  italic: boolean;
  underline: boolean;
  dim: boolean;
}

const ANSI = [
  'black',
  'red',
  'green',
  'yellow',
  'blue',
  'magenta',
  'cyan',
  'white',
  'brightBlack',
  'brightRed',
  'brightGreen',
  'brightYellow',
  'brightBlue',
  'brightMagenta',
  'brightCyan',
  'brightWhite',
] as const;

const hex = (r: number, g: number, b: number): string =>
  `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;

/** Palette entry `n` (0–255): the theme's 16 colours, the 6×6×6 cube, then the grey ramp. */
export function paletteColor(n: number, theme: ITheme): string {
  if (n < 16) return theme[ANSI[n] ?? 'white'] ?? '#c0c0c0';
  if (n < 232) {
    const i = n - 16;
    const level = (v: number): number => (v === 0 ? 0 : 55 + v * 40);
    return hex(level(Math.floor(i / 36)), level(Math.floor(i / 6) % 6), level(i % 6));
  }
  const g = 8 + (n - 232) * 10;
  return hex(g, g, g);
}

function colour(rgb: boolean, palette: boolean, value: number, theme: ITheme): string | undefined {
  if (rgb) return hex((value >> 16) & 255, (value >> 8) & 255, value & 255);
  if (palette) return paletteColor(value, theme);
  return undefined;
}

function style(c: IBufferCell, theme: ITheme, brightBold: boolean): Omit<Run, 'text'> {
  let fgValue = c.getFgColor();
  if (brightBold && c.isBold() !== 0 && c.isFgPalette() && fgValue < 8) fgValue += 8;
  let fg = colour(c.isFgRGB(), c.isFgPalette(), fgValue, theme);
  let bg = colour(c.isBgRGB(), c.isBgPalette(), c.getBgColor(), theme);
  if (c.isInverse() !== 0) {
    [fg, bg] = [bg ?? theme.background ?? '#000000', fg ?? theme.foreground ?? '#ffffff'];
  }
  return {
    fg,
    bg,
    bold: c.isBold() !== 0,
    italic: c.isItalic() !== 0,
    underline: c.isUnderline() !== 0,
    dim: c.isDim() !== 0,
  };
}

const same = (a: Omit<Run, 'text'>, b: Omit<Run, 'text'>): boolean =>
  a.fg === b.fg &&
  a.bg === b.bg &&
  a.bold === b.bold &&
  a.italic === b.italic &&
  a.underline === b.underline &&
  a.dim === b.dim;

/** One row as runs; unless `keepTrailing`, trailing default-styled blanks are dropped. */
export function lineRuns(
  line: IBufferLine,
  cell: IBufferCell,
  theme: ITheme,
  brightBold: boolean,
  keepTrailing = false,
): Run[] {
  const runs: Run[] = [];
  for (let x = 0; x < line.length; x++) {
    const c = line.getCell(x, cell);
    if (c === undefined || c.getWidth() === 0) continue;
    const s = style(c, theme, brightBold);
    const text = c.getChars() === '' ? ' ' : c.getChars();
    const last = runs[runs.length - 1];
    if (last !== undefined && same(last, s)) last.text += text;
    else runs.push({ text, ...s });
  }
  while (!keepTrailing && runs.length > 0) {
    const last = runs[runs.length - 1];
    if (last === undefined || last.bg !== undefined || last.underline) break;
    last.text = last.text.trimEnd();
    if (last.text !== '') break;
    runs.pop();
  }
  return runs;
}

/**
 * Buffer rows `from`…`to` (exclusive) as logical lines: wrapped rows are joined to the row
 * they continue, so a log shows lines as the host sent them.
 */
export function bufferLines(
  buffer: IBuffer,
  from: number,
  to: number,
  theme: ITheme,
  brightBold: boolean,
): Run[][] {
  const cell = buffer.getNullCell();
  const lines: Run[][] = [];
  for (let y = from; y < to; y++) {
    const line = buffer.getLine(y);
    if (line === undefined) continue;
    // A row the next one continues keeps its trailing blanks: they are spaces in the line.
    const runs = lineRuns(line, cell, theme, brightBold, buffer.getLine(y + 1)?.isWrapped === true);
    const prev = lines[lines.length - 1];
    if (line.isWrapped && prev !== undefined) prev.push(...runs);
    else lines.push(runs);
  }
  return lines;
}
