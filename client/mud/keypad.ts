/** Keypad walking (numpad 8 north … 5 look, + up, - down) and key-binding names. DOM-free. */

/** KeyboardEvent.code → direction, whatever Num Lock says (as Mudlet and MUSHclient do). */
export const KEYPAD_DIRECTIONS: Readonly<Record<string, string>> = Object.freeze({
  Numpad8: 'n',
  Numpad2: 's',
  Numpad4: 'w',
  Numpad6: 'e',
  Numpad7: 'nw',
  Numpad9: 'ne',
  Numpad1: 'sw',
  Numpad3: 'se',
  Numpad5: 'look',
  NumpadAdd: 'u',
  NumpadSubtract: 'd',
});

interface KeyLike {
  code: string;
  ctrlKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  metaKey: boolean;
}

/** `Ctrl+Shift+KeyK`, `F1`: the name a key binding is stored under. */
export function bindingName(e: KeyLike): string {
  const mods = [e.ctrlKey && 'Ctrl', e.altKey && 'Alt', e.shiftKey && 'Shift', e.metaKey && 'Meta'];
  return [...mods.filter((m) => m !== false), e.code].join('+');
}
