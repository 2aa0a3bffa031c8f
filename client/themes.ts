/** Terminal colour themes. The page's own colours follow from the same names in style.css. */
import type { ITheme } from '@xterm/xterm';
import type { ThemeName } from './settings.ts';

interface ThemeSpec {
  theme: ITheme;
  /** xterm re-colours text that would fall below this contrast against its background. */
  minimumContrastRatio: number;
}

const dark: ITheme = {
  background: '#0f1419',
  foreground: '#d8dee9',
  cursor: '#ffcc66',
  cursorAccent: '#0f1419',
  selectionBackground: '#36506e',
  selectionInactiveBackground: '#2a3a4e',
  scrollbarSliderBackground: 'rgba(216, 222, 233, 0.18)',
  scrollbarSliderHoverBackground: 'rgba(216, 222, 233, 0.3)',
  scrollbarSliderActiveBackground: 'rgba(216, 222, 233, 0.42)',
  black: '#1b2129',
  red: '#f07178',
  green: '#a6d189',
  yellow: '#e5c07b',
  blue: '#6cb6ff',
  magenta: '#d197e6',
  cyan: '#63d3d3',
  white: '#c8ced8',
  brightBlack: '#5c6773',
  brightRed: '#ff8f8f',
  brightGreen: '#c3e88d',
  brightYellow: '#ffd580',
  brightBlue: '#8fc8ff',
  brightMagenta: '#e5b3f5',
  brightCyan: '#95e6e6',
  brightWhite: '#f4f6fa',
};

const light: ITheme = {
  background: '#fbfaf7',
  foreground: '#24292f',
  cursor: '#0a69da',
  cursorAccent: '#fbfaf7',
  selectionBackground: '#b6d6fd',
  selectionInactiveBackground: '#d7e6f8',
  scrollbarSliderBackground: 'rgba(36, 41, 47, 0.18)',
  scrollbarSliderHoverBackground: 'rgba(36, 41, 47, 0.3)',
  scrollbarSliderActiveBackground: 'rgba(36, 41, 47, 0.42)',
  black: '#24292f',
  red: '#c4302b',
  green: '#1a7f37',
  yellow: '#8a6200',
  blue: '#0a5bc4',
  magenta: '#8250df',
  cyan: '#107c86',
  white: '#6e7781',
  brightBlack: '#57606a',
  brightRed: '#a40e26',
  brightGreen: '#116329',
  brightYellow: '#6c4a00',
  brightBlue: '#0344a6',
  brightMagenta: '#6639ba',
  brightCyan: '#0b5e66',
  brightWhite: '#8c959f',
};

const contrast: ITheme = {
  background: '#000000',
  foreground: '#ffffff',
  cursor: '#ffff00',
  cursorAccent: '#000000',
  selectionBackground: '#ffff00',
  selectionForeground: '#000000',
  selectionInactiveBackground: '#c0c000',
  scrollbarSliderBackground: 'rgba(255, 255, 255, 0.45)',
  scrollbarSliderHoverBackground: 'rgba(255, 255, 255, 0.65)',
  scrollbarSliderActiveBackground: 'rgba(255, 255, 255, 0.85)',
  black: '#000000',
  red: '#ff6b6b',
  green: '#5cff5c',
  yellow: '#ffff54',
  blue: '#7aa7ff',
  magenta: '#ff7aff',
  cyan: '#54ffff',
  white: '#ffffff',
  brightBlack: '#b0b0b0',
  brightRed: '#ff9a9a',
  brightGreen: '#9aff9a',
  brightYellow: '#ffff9a',
  brightBlue: '#a9c6ff',
  brightMagenta: '#ffa9ff',
  brightCyan: '#9affff',
  brightWhite: '#ffffff',
};

export const TERMINAL_THEMES: Readonly<Record<ThemeName, ThemeSpec>> = {
  dark: { theme: dark, minimumContrastRatio: 1 },
  // MUD colours were chosen for black backgrounds; lift the ones that vanish on white.
  light: { theme: light, minimumContrastRatio: 4.5 },
  contrast: { theme: contrast, minimumContrastRatio: 7 },
};
