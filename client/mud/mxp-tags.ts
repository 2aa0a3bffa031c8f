/**
 * MXP tags and their pieces (DOM-free): parsing `<name attr="value" …>`, entities, colours,
 * the elements client/mud/mxp.ts renders, drops or answers, and `<send>` command lists.
 */

/** Text styles: element → SGR on. */
export const OPEN_STYLE: Record<string, string> = {
  b: '1',
  bold: '1',
  strong: '1',
  i: '3',
  italic: '3',
  em: '3',
  u: '4',
  underline: '4',
  s: '9',
  strikeout: '9',
  h: '1',
  high: '1',
};
export const STYLE_OFF: Record<string, string> = { '1': '22', '3': '23', '4': '24', '9': '29' };
/** MXP elements that are dropped (their text, if any, stays). */
export const DROPPED = new Set(
  'p br sbr nobr small tt h1 h2 h3 h4 h5 h6 hr li ol ul version support expire dest frame image sound music gauge stat relocate user password var reset img filter'.split(
    ' ',
  ),
);
/** What `<SUPPORTS>` names: the elements this parser renders. */
export const SUPPORTED = ['b', 'i', 'u', 's', 'h', 'c', 'color', 'font', 'send', 'a', 'br'];
const ENTITIES: Record<string, string> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};
const NAMED_COLORS: Record<string, number> = {
  black: 0x000000,
  red: 0xff0000,
  green: 0x008000,
  yellow: 0xffff00,
  blue: 0x0000ff,
  magenta: 0xff00ff,
  cyan: 0x00ffff,
  white: 0xffffff,
  gray: 0x808080,
  grey: 0x808080,
  orange: 0xffa500,
  purple: 0x800080,
  brown: 0xa52a2a,
  pink: 0xffc0cb,
  gold: 0xffd700,
  silver: 0xc0c0c0,
  lime: 0x00ff00,
  navy: 0x000080,
  maroon: 0x800000,
  teal: 0x008080,
  olive: 0x808000,
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
export const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/** A colour name or `#rrggbb` as an SGR parameter list (`38;2;r;g;b`), or undefined. */
export function colorSgr(value: string, background: boolean): string | undefined {
  const v = value.trim().toLowerCase();
  const n = /^#[0-9a-f]{6}$/.test(v) ? Number.parseInt(v.slice(1), 16) : NAMED_COLORS[v];
  if (n === undefined) return undefined;
  return `${background ? 48 : 38};2;${(n >> 16) & 255};${(n >> 8) & 255};${n & 255}`;
}

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (all, name: string) => {
    if (name.startsWith('#')) {
      const code =
        name[1] === 'x' || name[1] === 'X'
          ? Number.parseInt(name.slice(2), 16)
          : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    return ENTITIES[name.toLowerCase()] ?? all;
  });
}

export interface Tag {
  name: string;
  closing: boolean;
  attrs: Map<string, string>;
  /** Values given without a name, in order. */
  positional: string[];
}

const ATTR = /([^\s=]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"']+)|"([^"]*)"|'([^']*)'|(\S+)/g;

/** Parses the inside of `<…>`; undefined when it is not an MXP tag. */
export function parseTag(body: string): Tag | undefined {
  const m = /^(\/?)([a-z!][a-z0-9_.-]*)\s*(.*)$/is.exec(body.trim());
  if (m === null) return undefined;
  const tag: Tag = {
    name: (m[2] ?? '').toLowerCase(),
    closing: m[1] === '/',
    attrs: new Map(),
    positional: [],
  };
  for (const a of (m[3] ?? '').matchAll(ATTR)) {
    if (a[1] !== undefined) {
      const raw = a[2] ?? '';
      const v = raw.startsWith('"') || raw.startsWith("'") ? raw.slice(1, -1) : raw;
      tag.attrs.set(a[1].toLowerCase(), decodeEntities(v));
    } else tag.positional.push(decodeEntities(a[3] ?? a[4] ?? a[5] ?? ''));
  }
  return tag;
}

export interface Style {
  /** 'color', or the SGR number for bold, italic, underline, strike-out. */
  group: string;
  on: string;
  off: string;
}

export function colourStyle(tag: Tag): Style {
  const font = tag.name === 'font';
  const fore =
    tag.attrs.get('fore') ?? tag.attrs.get('color') ?? (font ? undefined : tag.positional[0]);
  const back = tag.attrs.get('back') ?? (font ? undefined : tag.positional[1]);
  const f = fore === undefined ? undefined : colorSgr(fore, false);
  const b = back === undefined ? undefined : colorSgr(back, true);
  const on = [f, b].filter((x): x is string => x !== undefined);
  const off = [f && '39', b && '49'].filter((x): x is string => typeof x === 'string');
  return { group: 'color', on: on.join(';'), off: off.join(';') };
}

/** `look|drink` → the commands, controls removed, each bounded. `&text;` is already replaced. */
export function splitCommands(href: string, maxChars: number): string[] {
  return href
    .split('|')
    .map((c) => c.replace(CONTROLS, '').trim().slice(0, maxChars))
    .filter((c) => c !== '')
    .slice(0, 10);
}
