/**
 * A host's MUD profile: aliases, triggers, key bindings and command-line options, kept per
 * host in localStorage and exchanged as JSON files. Everything read back (storage, an
 * imported file) is untrusted and normalised here; a bad entry is dropped with a reason.
 * DOM-free.
 */
import { readJson, type StorageLike, writeJson } from '../storage.ts';

export interface Alias {
  /** A word (`k`), or a regular expression when `regex` is set (`^gt (.+)$`). */
  pattern: string;
  regex: boolean;
  /** What it becomes: `kill $1`; may hold several commands split by the separator. */
  body: string;
  enabled: boolean;
}

export interface Trigger {
  pattern: string;
  regex: boolean;
  /** Colour the matched text (a CSS hex colour), or '' for none. */
  highlight: string;
  /** Hide the whole line. */
  gag: boolean;
  /** A command to send when it matches ('' for none); `$1`… are the regex groups. */
  send: string;
  sound: boolean;
  /** A browser notification while the tab is in the background. */
  notify: boolean;
  enabled: boolean;
}

export interface KeyBinding {
  /** A KeyboardEvent.code with optional modifiers: `F1`, `Ctrl+KeyK`. */
  key: string;
  command: string;
}

export interface Profile {
  version: 1;
  /** The command separator ('' turns splitting off). */
  separator: string;
  speedwalk: boolean;
  /** Numeric keypad walks (8 north, 2 south, … + up, - down). */
  keypad: boolean;
  /** Split-screen scrollback instead of scrolling the live view. */
  splitScroll: boolean;
  /** Keep a bounded log of this host's output in the browser. */
  autoLog: boolean;
  aliases: Alias[];
  triggers: Trigger[];
  keys: KeyBinding[];
}

export const ProfileLimits = {
  maxAliases: 200,
  maxTriggers: 200,
  maxKeys: 100,
  maxPatternChars: 500,
  maxBodyChars: 2000,
  maxSeparatorChars: 3,
} as const;

export const DEFAULT_PROFILE: Readonly<Profile> = Object.freeze({
  version: 1,
  separator: ';',
  speedwalk: true,
  keypad: false,
  splitScroll: true,
  autoLog: false,
  aliases: [],
  triggers: [],
  keys: [],
});

type Raw = Record<string, unknown>;
const record = (v: unknown): Raw =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {};
const str = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '');
const bool = (v: unknown, fallback: boolean): boolean => (typeof v === 'boolean' ? v : fallback);
const HEX = /^#[0-9a-fA-F]{6}$/;

/** The regex error for a pattern, or undefined when it compiles. */
export function regexError(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'u');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : 'invalid regular expression';
  }
}

function patternProblem(pattern: string, regex: boolean): string | undefined {
  if (pattern.trim() === '') return 'empty pattern';
  if (regex) return regexError(pattern);
  return undefined;
}

function alias(v: unknown): Alias | string {
  const r = record(v);
  const a: Alias = {
    pattern: str(r.pattern, ProfileLimits.maxPatternChars).trim(),
    regex: bool(r.regex, false),
    body: str(r.body, ProfileLimits.maxBodyChars),
    enabled: bool(r.enabled, true),
  };
  if (!a.regex && /\s/.test(a.pattern)) return `alias "${a.pattern}": a word alias has no spaces`;
  return patternProblem(a.pattern, a.regex) ?? a;
}

function trigger(v: unknown): Trigger | string {
  const r = record(v);
  const highlight = str(r.highlight, 7);
  const t: Trigger = {
    pattern: str(r.pattern, ProfileLimits.maxPatternChars),
    regex: bool(r.regex, false),
    highlight: HEX.test(highlight) ? highlight.toLowerCase() : '',
    gag: bool(r.gag, false),
    send: str(r.send, ProfileLimits.maxBodyChars),
    sound: bool(r.sound, false),
    notify: bool(r.notify, false),
    enabled: bool(r.enabled, true),
  };
  return patternProblem(t.pattern, t.regex) ?? t;
}

function keyBinding(v: unknown): KeyBinding | string {
  const r = record(v);
  const k = { key: str(r.key, 40).trim(), command: str(r.command, ProfileLimits.maxBodyChars) };
  return /^((Ctrl|Alt|Shift|Meta)\+)*[A-Za-z0-9]+$/.test(k.key) ? k : `key "${k.key}" not valid`;
}

function list<T>(v: unknown, max: number, one: (v: unknown) => T | string, bad: string[]): T[] {
  const out: T[] = [];
  for (const item of Array.isArray(v) ? v.slice(0, max) : []) {
    const parsed = one(item);
    if (typeof parsed === 'string') bad.push(parsed);
    else out.push(parsed);
  }
  return out;
}

/** A complete, valid profile from anything, plus what was dropped and why. */
export function normalizeProfile(value: unknown): { profile: Profile; dropped: string[] } {
  const r = record(value);
  const d = DEFAULT_PROFILE;
  const L = ProfileLimits;
  const dropped: string[] = [];
  const profile: Profile = {
    version: 1,
    separator:
      typeof r.separator === 'string' ? r.separator.slice(0, L.maxSeparatorChars) : d.separator,
    speedwalk: bool(r.speedwalk, d.speedwalk),
    keypad: bool(r.keypad, d.keypad),
    splitScroll: bool(r.splitScroll, d.splitScroll),
    autoLog: bool(r.autoLog, d.autoLog),
    aliases: list(r.aliases, L.maxAliases, alias, dropped),
    triggers: list(r.triggers, L.maxTriggers, trigger, dropped),
    keys: list(r.keys, L.maxKeys, keyBinding, dropped),
  };
  return { profile, dropped };
}

const key = (hostId: string): string => `profile.${hostId}`;

export function loadProfile(storage: StorageLike | undefined, hostId: string): Profile {
  return normalizeProfile(readJson(storage, key(hostId))).profile;
}

export function saveProfile(
  storage: StorageLike | undefined,
  hostId: string,
  profile: Profile,
): void {
  writeJson(storage, key(hostId), normalizeProfile(profile).profile);
}

/** The profile as a downloadable JSON document. */
export function exportProfile(hostId: string, profile: Profile): string {
  return `${JSON.stringify({ porthole: 'profile', host: hostId, ...profile }, null, 2)}\n`;
}

/** Parses an imported file: the profile, or a sentence saying why not. */
export function importProfile(text: string): { profile: Profile; dropped: string[] } | string {
  if (text.length > 1024 * 1024) return 'The file is larger than 1 MiB.';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'The file is not JSON.';
  }
  if (record(value).porthole !== 'profile') return 'The file is not a Porthole profile.';
  return normalizeProfile(value);
}
