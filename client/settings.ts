/** User settings: defaults, validation of what comes back from storage, persistence. DOM-free. */
import { readJson, type StorageLike, writeJson } from './storage.ts';

export const THEMES = ['dark', 'light', 'contrast'] as const;
export type ThemeName = (typeof THEMES)[number];

import type { InputMode } from '../shared/api.ts';

export type { InputMode };

export interface Settings {
  fontSize: number;
  theme: ThemeName;
  scrollback: number;
  screenReader: boolean;
  /** Line mode: keep the sent line in the box (selected) instead of clearing it. */
  keepLine: boolean;
  /** Line mode: show each sent line in the terminal while the host is not echoing. */
  echoSent: boolean;
  copyOnSelect: boolean;
  /** 'auto' uses WebGL only on a real GPU; 'dom' always uses the DOM renderer. */
  renderer: 'auto' | 'dom';
  /** The touch key bar: 'auto' shows it on touch screens. */
  keyBar: 'auto' | 'on' | 'off';
  /**
   * Raw mode: show typed keys while the host does not echo. 'auto' = for hosts whose default
   * is line mode (a MUD switched to raw would otherwise mean typing blind).
   */
  localEcho: 'auto' | 'on' | 'off';
}

export const SettingLimits = {
  minFontSize: 8,
  maxFontSize: 40,
  minScrollback: 100,
  maxScrollback: 100_000,
} as const;

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  fontSize: 15,
  theme: 'dark',
  // SECURITY.md: 1000 by default; a MUD session benefits from more, at ~12 bytes per cell.
  scrollback: 5000,
  screenReader: false,
  keepLine: false,
  echoSent: true,
  copyOnSelect: true,
  renderer: 'auto',
  keyBar: 'auto',
  localEcho: 'auto',
});

const KEY = 'settings';
const NARROW_FONT_SIZE = 12;

const clampInt = (v: unknown, min: number, max: number, fallback: number): number =>
  typeof v === 'number' && Number.isFinite(v)
    ? Math.min(max, Math.max(min, Math.round(v)))
    : fallback;

function oneOf<T extends string>(v: unknown, options: readonly T[], fallback: T): T {
  return options.find((o) => o === v) ?? fallback;
}

const bool = (v: unknown, fallback: boolean): boolean => (typeof v === 'boolean' ? v : fallback);

/** Makes a complete, valid Settings from anything (a stored value is untrusted: old versions, hand edits). */
export function normalizeSettings(value: unknown): Settings {
  const v = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const d = DEFAULT_SETTINGS;
  const L = SettingLimits;
  return {
    fontSize: clampInt(v.fontSize, L.minFontSize, L.maxFontSize, d.fontSize),
    theme: oneOf(v.theme, THEMES, d.theme),
    scrollback: clampInt(v.scrollback, L.minScrollback, L.maxScrollback, d.scrollback),
    screenReader: bool(v.screenReader, d.screenReader),
    keepLine: bool(v.keepLine, d.keepLine),
    echoSent: bool(v.echoSent, d.echoSent),
    copyOnSelect: bool(v.copyOnSelect, d.copyOnSelect),
    renderer: oneOf(v.renderer, ['auto', 'dom'] as const, d.renderer),
    keyBar: oneOf(v.keyBar, ['auto', 'on', 'off'] as const, d.keyBar),
    localEcho: oneOf(v.localEcho, ['auto', 'on', 'off'] as const, d.localEcho),
  };
}

/** Stored settings; `narrowScreen` picks a smaller default font so a phone gets ~50 columns, not 40. */
export function loadSettings(storage: StorageLike | undefined, narrowScreen = false): Settings {
  const stored = readJson(storage, KEY);
  if (stored === undefined && narrowScreen) {
    return normalizeSettings({ ...DEFAULT_SETTINGS, fontSize: NARROW_FONT_SIZE });
  }
  return normalizeSettings(stored);
}

export function saveSettings(storage: StorageLike | undefined, settings: Settings): void {
  writeJson(storage, KEY, normalizeSettings(settings));
}

/** The input mode the user chose for a host, if they switched away from the host's default. */
export function loadInputMode(
  storage: StorageLike | undefined,
  hostId: string,
): InputMode | undefined {
  const v = readJson(storage, `mode.${hostId}`);
  return v === 'line' || v === 'raw' ? v : undefined;
}

export function saveInputMode(
  storage: StorageLike | undefined,
  hostId: string,
  mode: InputMode,
): void {
  writeJson(storage, `mode.${hostId}`, mode);
}
