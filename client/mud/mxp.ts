/**
 * MXP, the secure subset, as a sans-IO text transform (DOM-free): host text with MXP tags in,
 * terminal text out. Line modes (`ESC[0z`…`ESC[7z`) decide where tags count; `<send>` and
 * `<a>` (secure mode only) become OSC 8 links to `https://mxp.invalid/<nonce>/<id>`, an
 * address only this client knows, whose meaning (commands, or an http(s) URL) stays in a
 * bounded table here. No host text ever becomes part of an escape sequence. Bold, italic,
 * underline, strike-out and colours become SGR; other MXP elements are dropped; a tag name
 * MXP does not define is shown as text (`<120hp 80m>` prompts survive). Nothing is HTML.
 *
 * Written by hand: no maintained MXP parser exists for the browser.
 */
import { safeLinkUrl } from '../links.ts';
import {
  CONTROLS,
  colourStyle,
  DROPPED,
  decodeEntities,
  OPEN_STYLE,
  parseTag,
  STYLE_OFF,
  type Style,
  SUPPORTED,
  splitCommands,
  type Tag,
} from './mxp-tags.ts';

export type MxpLink =
  | { kind: 'send'; commands: string[]; hint: string; prompt: boolean }
  | { kind: 'url'; url: string; hint: string };

export const MxpLimits = {
  maxTagChars: 1024,
  maxEntityChars: 12,
  /** Links remembered; older ones (long scrolled away) stop working. */
  maxLinks: 2000,
  maxCommandChars: 1000,
  maxStyleDepth: 16,
} as const;

type Mode = 'open' | 'secure' | 'locked';
type State = 'text' | 'esc' | 'csi' | 'string' | 'string-esc' | 'tag' | 'entity';

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts a sequence.
const OPEN_SPECIAL = /[\x1b\n<&]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts a sequence.
const LOCKED_SPECIAL = /[\x1b\n]/g;

interface OpenLink {
  id: number;
  link: MxpLink;
  /** href-less `<send>`: the command is the link's text. */
  fromText: boolean;
  /** The link's visible text so far (for `&text;` and href-less links). */
  text: string;
}

export class MxpParser {
  #base: string;
  #state: State = 'text';
  #buf = '';
  /** The quote a tag attribute is inside of, or ''. */
  #quote = '';
  #defaultMode: Mode = 'open';
  #mode: Mode = 'open';
  #styles: Style[] = [];
  #link: OpenLink | undefined;
  #links = new Map<number, MxpLink>();
  #nextId = 1;
  #replies: string[] = [];

  /** `nonce`: random, per session; it makes link addresses the host cannot forge. */
  constructor(nonce: string) {
    this.#base = `https://mxp.invalid/${nonce}/`;
  }

  /** The link an activated OSC 8 address stands for, or undefined when it is not ours. */
  link(uri: string): MxpLink | undefined {
    if (!uri.startsWith(this.#base)) return undefined;
    return this.#links.get(Number(uri.slice(this.#base.length)));
  }

  /** Whether the address is one of ours (even an expired one). */
  owns(uri: string): boolean {
    return uri.startsWith(this.#base);
  }

  /** MXP was switched off or on again: start from a clean state. */
  reset(): string {
    const out = this.#closeAll();
    this.#state = 'text';
    this.#buf = '';
    this.#defaultMode = 'open';
    this.#mode = 'open';
    return out;
  }

  push(text: string): string {
    let out = '';
    let i = 0;
    while (i < text.length) {
      if (this.#state === 'text') {
        // Runs of ordinary text are copied whole: per-character work only where it matters.
        const special = this.#mode === 'locked' ? LOCKED_SPECIAL : OPEN_SPECIAL;
        special.lastIndex = i;
        const end = special.exec(text)?.index ?? text.length;
        if (end > i) {
          out += this.#visible(text.slice(i, end));
          i = end;
          continue;
        }
      }
      out += this.#char(text[i] ?? '');
      i++;
    }
    return out;
  }

  #char(c: string): string {
    switch (this.#state) {
      case 'text':
        return this.#text(c);
      case 'esc':
        this.#buf += c;
        if (c === '[') this.#state = 'csi';
        else if (c === ']' || c === 'P' || c === 'X' || c === '^' || c === '_')
          return this.#pass('string');
        else return this.#pass('text');
        return '';
      case 'csi':
        this.#buf += c;
        if (c >= '@' && c <= '~') return this.#endCsi();
        if (this.#buf.length > 32) return this.#pass('text');
        return '';
      case 'string':
        if (c === '\x07') this.#state = 'text';
        else if (c === '\x1b') this.#state = 'string-esc';
        return c;
      case 'string-esc':
        this.#state = c === '\x1b' ? 'string-esc' : 'text';
        return c;
      case 'tag':
        return this.#tagChar(c);
      case 'entity':
        return this.#entityChar(c);
    }
  }

  /** Writes out the buffered sequence and moves to `next`. */
  #pass(next: State): string {
    const out = this.#buf;
    this.#buf = '';
    this.#state = next;
    return out;
  }

  #text(c: string): string {
    if (c === '\x1b') {
      this.#state = 'esc';
      this.#buf = c;
      return '';
    }
    if (c === '\n') return `${this.#endOfLine()}\n`;
    if (this.#mode !== 'locked' && (c === '<' || c === '&')) {
      this.#state = c === '<' ? 'tag' : 'entity';
      this.#buf = c;
      return '';
    }
    return this.#visible(c);
  }

  #visible(text: string): string {
    if (this.#link !== undefined && this.#link.text.length < MxpLimits.maxCommandChars)
      this.#link.text += text;
    return text;
  }

  #endCsi(): string {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: an MXP line-mode sequence.
    const m = /^\x1b\[(\d+)z$/.exec(this.#buf);
    if (m === null) return this.#pass('text');
    this.#buf = '';
    this.#state = 'text';
    const n = Number(m[1]);
    const modes: Mode[] = ['open', 'secure', 'locked'];
    if (n <= 2) this.#mode = modes[n] ?? 'open';
    else if (n === 3) {
      this.#defaultMode = 'open';
      this.#mode = 'open';
      return this.#closeAll();
    } else if (n === 4) this.#mode = 'secure';
    else if (n >= 5 && n <= 7) {
      this.#defaultMode = modes[n - 5] ?? 'open';
      this.#mode = this.#defaultMode;
    }
    return '';
  }

  #tagChar(c: string): string {
    if (this.#buf === '<' && !/[a-zA-Z/!]/.test(c)) {
      // `a < b`: not a tag.
      const held = this.#visible(this.#pass('text'));
      return held + this.#text(c);
    }
    if (this.#quote !== '') {
      if (c === this.#quote) this.#quote = '';
    } else if (c === '"' || c === "'") this.#quote = c;
    else if (c === '>') {
      const body = this.#buf.slice(1);
      const raw = `${this.#buf}>`;
      this.#buf = '';
      this.#state = 'text';
      return this.#tag(body, raw);
    }
    if (c === '\n' || c === '\x1b' || this.#buf.length >= MxpLimits.maxTagChars) {
      this.#quote = '';
      // Not a tag after all: show what was held, then handle this character normally.
      const held = this.#visible(this.#pass('text'));
      return held + this.#text(c);
    }
    this.#buf += c;
    return '';
  }

  #entityChar(c: string): string {
    if (c === ';') {
      const decoded = decodeEntities(`${this.#buf};`);
      this.#buf = '';
      this.#state = 'text';
      return this.#visible(decoded.replace(CONTROLS, ''));
    }
    if (/[#a-zA-Z0-9]/.test(c) && this.#buf.length < MxpLimits.maxEntityChars) {
      this.#buf += c;
      return '';
    }
    const held = this.#visible(this.#pass('text'));
    return held + this.#text(c);
  }

  #tag(body: string, raw: string): string {
    const tag = parseTag(body);
    const known =
      tag !== undefined &&
      (tag.name in OPEN_STYLE ||
        DROPPED.has(tag.name) ||
        tag.name.startsWith('!') ||
        ['send', 'a', 'c', 'color', 'font'].includes(tag.name));
    if (tag === undefined || !known) return this.#visible(raw);
    const secure = this.#mode === 'secure';
    if (tag.name === 'send' || tag.name === 'a') return secure ? this.#linkTag(tag) : '';
    if (tag.name === 'br') return `${this.#endOfLine()}\r\n`;
    if (!tag.closing && (tag.name === 'version' || tag.name === 'support')) this.#answer(tag.name);
    return this.#styleTag(tag);
  }

  /** Replies the host asked for with `<VERSION>` or `<SUPPORT>` (at most a few pending). */
  takeReplies(): string[] {
    const r = this.#replies;
    this.#replies = [];
    return r;
  }

  #answer(name: 'version' | 'support'): void {
    if (this.#replies.length >= 4) return;
    this.#replies.push(
      name === 'version'
        ? '\x1b[1z<VERSION MXP=1.0 CLIENT=Porthole VERSION=1.0>'
        : `\x1b[1z<SUPPORTS ${SUPPORTED.map((t) => `+${t}`).join(' ')}>`,
    );
  }

  #styleTag(tag: Tag): string {
    const colour = tag.name === 'c' || tag.name === 'color' || tag.name === 'font';
    const group = colour ? 'color' : (OPEN_STYLE[tag.name] ?? '');
    if (group === '') return '';
    if (tag.closing) {
      const at = this.#styles.findLastIndex((st) => st.group === group);
      if (at === -1) return '';
      const [closed] = this.#styles.splice(at, 1);
      const again = this.#styles.map((st) => st.on).filter((on) => on !== '');
      const off = closed?.off ?? '';
      return (
        (off === '' ? '' : `\x1b[${off}m`) + (again.length > 0 ? `\x1b[${again.join(';')}m` : '')
      );
    }
    if (this.#styles.length >= MxpLimits.maxStyleDepth) return '';
    const style = colour ? colourStyle(tag) : { group, on: group, off: STYLE_OFF[group] ?? '' };
    this.#styles.push(style);
    return style.on === '' ? '' : `\x1b[${style.on}m`;
  }

  #linkTag(tag: Tag): string {
    if (tag.closing) return this.#closeLink();
    let out = this.#closeLink();
    const words = tag.positional.filter((w) => w.toLowerCase() !== 'prompt');
    const href = tag.attrs.get('href') ?? words[0];
    const hint = (tag.attrs.get('hint') ?? (tag.name === 'send' ? words[1] : undefined) ?? '')
      .replace(CONTROLS, '')
      .slice(0, 200);
    let link: MxpLink | undefined;
    if (tag.name === 'a') {
      const url = href === undefined ? undefined : safeLinkUrl(href);
      if (url !== undefined) link = { kind: 'url', url, hint };
    } else {
      const prompt =
        tag.attrs.has('prompt') || tag.positional.some((p) => p.toLowerCase() === 'prompt');
      link = {
        kind: 'send',
        commands: href === undefined ? [] : splitCommands(href, MxpLimits.maxCommandChars),
        hint,
        prompt,
      };
    }
    if (link === undefined) return out;
    const id = this.#remember(link);
    this.#link = { id, link, fromText: link.kind === 'send' && href === undefined, text: '' };
    out += `\x1b]8;;${this.#base}${id}\x1b\\\x1b[4m`;
    return out;
  }

  #closeLink(): string {
    const open = this.#link;
    if (open === undefined) return '';
    this.#link = undefined;
    const l = open.link;
    if (l.kind === 'send') {
      const text = open.text.replaceAll('|', ' ');
      const href = open.fromText ? open.text : l.commands.join('|').replaceAll('&text;', text);
      l.commands = splitCommands(href, MxpLimits.maxCommandChars);
    }
    return '\x1b[24m\x1b]8;;\x1b\\';
  }

  #remember(link: MxpLink): number {
    const id = this.#nextId++;
    this.#links.set(id, link);
    if (this.#links.size > MxpLimits.maxLinks) {
      const oldest = this.#links.keys().next().value;
      if (oldest !== undefined) this.#links.delete(oldest);
    }
    return id;
  }

  /** A line ends: line modes end and nothing opened on it stays open. */
  #endOfLine(): string {
    const out = this.#closeAll();
    this.#mode = this.#defaultMode;
    return out;
  }

  #closeAll(): string {
    let out = this.#closeLink();
    if (this.#styles.some((st) => st.on !== '')) out += '\x1b[0m';
    this.#styles = [];
    return out;
  }
}
