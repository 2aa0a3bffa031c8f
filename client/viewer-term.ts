/**
 * A read-only terminal for the watch and replay pages: the owner's size (no fit), no input
 * (`disableStdin`, and nothing is wired to its data events), the user's theme and font size.
 */
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { loadSettings } from './settings.ts';
import { browserStorage } from './storage.ts';
import { TERMINAL_THEMES } from './themes.ts';

const FONT_FAMILY =
  '"JetBrains Mono", "Cascadia Mono", "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace';

export function viewerTerminal(container: HTMLElement, cols: number, rows: number): Terminal {
  const settings = loadSettings(browserStorage());
  document.documentElement.dataset.theme = settings.theme;
  const spec = TERMINAL_THEMES[settings.theme];
  const term = new Terminal({
    cols,
    rows,
    disableStdin: true,
    cursorBlink: false,
    cursorInactiveStyle: 'none',
    // Answer no window or title reports (SECURITY.md E4): nothing here talks back anyway.
    windowOptions: {},
    fontFamily: FONT_FAMILY,
    fontSize: Math.min(settings.fontSize, 15),
    lineHeight: 1.15,
    scrollback: 5000,
    drawBoldTextInBrightColors: true,
    theme: spec.theme,
    minimumContrastRatio: spec.minimumContrastRatio,
    allowProposedApi: true,
  });
  term.loadAddon(new Unicode11Addon());
  term.unicode.activeVersion = '11';
  term.open(container);
  return term;
}
