/** What the touch key bar sends: escape sequences per key and latched modifiers. DOM-free. */

export type BarKey =
  | 'Escape'
  | 'Tab'
  | 'ArrowLeft'
  | 'ArrowUp'
  | 'ArrowDown'
  | 'ArrowRight'
  | 'PageUp'
  | 'PageDown';

export const BAR_KEYS: readonly BarKey[] = [
  'Escape',
  'Tab',
  'ArrowLeft',
  'ArrowUp',
  'ArrowDown',
  'ArrowRight',
  'PageUp',
  'PageDown',
];

export interface Modifiers {
  ctrl: boolean;
  alt: boolean;
}

/** The bytes a key sends, honouring application cursor mode (DECCKM) and latched modifiers. */
export function keySequence(key: BarKey, appCursor: boolean, mods: Modifiers): string {
  const arrows: Partial<Record<BarKey, string>> = {
    ArrowUp: 'A',
    ArrowDown: 'B',
    ArrowRight: 'C',
    ArrowLeft: 'D',
  };
  const arrow = arrows[key];
  if (arrow !== undefined) {
    const mod = 1 + (mods.alt ? 2 : 0) + (mods.ctrl ? 4 : 0);
    if (mod > 1) return `\x1b[1;${mod}${arrow}`;
    return appCursor ? `\x1bO${arrow}` : `\x1b[${arrow}`;
  }
  const plain: Record<string, string> = {
    Escape: '\x1b',
    Tab: '\t',
    PageUp: '\x1b[5~',
    PageDown: '\x1b[6~',
  };
  const seq = plain[key] ?? '';
  return mods.alt ? `\x1b${seq}` : seq;
}

/** Applies latched Ctrl/Alt to one typed character: Ctrl+a → 0x01, Alt+x → ESC x. */
export function applyModifiers(data: string, mods: Modifiers): string {
  let out = data;
  if (mods.ctrl && out.length === 1) {
    const c = out.toUpperCase().charCodeAt(0);
    if (c >= 0x40 && c <= 0x5f) out = String.fromCharCode(c - 0x40);
    else if (out === ' ') out = '\x00';
    else if (out === '?') out = '\x7f';
  }
  return mods.alt ? `\x1b${out}` : out;
}
