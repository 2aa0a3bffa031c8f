/**
 * Command-line scripting for line mode, as TinTin++ and Mudlet players expect it: a
 * command separator (`n;e;s`, `\;` for a literal one), repeat (`#5 smile`), speedwalk
 * (`3n2e`) and aliases (`k $1` → `kill $1`, or a regex). Every expansion is bounded, so an
 * alias that names itself ends with an error instead of a hang. DOM-free.
 */
import type { Alias } from './profile.ts';

export const CommandLimits = {
  /** Commands one typed line may become. */
  maxCommands: 100,
  /** Aliases inside aliases. */
  maxDepth: 8,
  maxRepeat: 100,
} as const;

export interface ScriptOptions {
  separator: string;
  speedwalk: boolean;
  aliases: readonly Alias[];
}

export interface Expansion {
  commands: string[];
  /** Why expansion stopped early (what was expanded so far is in `commands`). */
  error?: string;
}

/** Splits on the separator; `\` before the separator makes it literal. Parts are trimmed. */
export function splitCommands(line: string, separator: string): string[] {
  if (separator === '') return [line.trim()];
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; ) {
    if (line[i] === '\\' && line.startsWith(separator, i + 1)) {
      current += separator;
      i += 1 + separator.length;
    } else if (line.startsWith(separator, i)) {
      parts.push(current.trim());
      current = '';
      i += separator.length;
    } else {
      current += line[i];
      i++;
    }
  }
  parts.push(current.trim());
  return parts;
}

const DIRECTIONS = ['ne', 'nw', 'se', 'sw', 'n', 'e', 's', 'w', 'u', 'd'] as const;
const STEP = /(\d{0,2})(ne|nw|se|sw|n|e|s|w|u|d)/y;

/**
 * `3n2e` → n n n e e. Only a run of counted steps counts as speedwalk (at least one digit),
 * so ordinary commands such as `news` or `sw` are never rewritten.
 */
export function parseSpeedwalk(command: string): string[] | undefined {
  if (!/\d/.test(command) || !/^[0-9neswud]+$/.test(command)) return undefined;
  const steps: string[] = [];
  STEP.lastIndex = 0;
  while (STEP.lastIndex < command.length) {
    const m = STEP.exec(command);
    if (m === null) return undefined;
    const count = m[1] === '' ? 1 : Number(m[1]);
    if (count < 1) return undefined;
    for (let i = 0; i < count; i++) steps.push(m[2] ?? '');
    if (steps.length > CommandLimits.maxCommands) return undefined;
  }
  return steps.every((s) => (DIRECTIONS as readonly string[]).includes(s)) ? steps : undefined;
}

/** `$1`…`$9` from `args`, `$*` all of them, `$$` a dollar. Reports whether any were used. */
export function substitute(body: string, args: readonly string[], rest: string): [string, boolean] {
  let used = false;
  const out = body.replace(/\$(\$|\*|\d)/g, (_m, what: string) => {
    if (what === '$') return '$';
    used = true;
    if (what === '*') return rest;
    return args[Number(what)] ?? '';
  });
  return [out, used];
}

interface AliasMatch {
  body: string;
  args: string[];
  rest: string;
  /** Word aliases append unused arguments; regex aliases never do. */
  append: boolean;
}

function matchAlias(command: string, aliases: readonly Alias[]): AliasMatch | undefined {
  for (const a of aliases) {
    if (!a.enabled) continue;
    if (a.regex) {
      let m: RegExpExecArray | null;
      try {
        m = new RegExp(a.pattern, 'u').exec(command);
      } catch {
        continue;
      }
      if (m !== null)
        return { body: a.body, args: [...m].map((g) => g ?? ''), rest: m[0], append: false };
      continue;
    }
    const space = command.search(/\s/);
    const word = space === -1 ? command : command.slice(0, space);
    if (word !== a.pattern) continue;
    const rest = space === -1 ? '' : command.slice(space + 1).trim();
    const args = [word, ...rest.split(/\s+/).filter((w) => w !== '')];
    return { body: a.body, args, rest, append: true };
  }
  return undefined;
}

class Expander {
  readonly commands: string[] = [];
  error: string | undefined;
  #opts: ScriptOptions;

  constructor(opts: ScriptOptions) {
    this.#opts = opts;
  }

  line(text: string, depth: number): void {
    const parts = splitCommands(text, this.#opts.separator);
    // An empty line is a command (MUDs use Enter for "more" and to redraw the prompt).
    const wanted = parts.length === 1 ? parts : parts.filter((p) => p !== '');
    for (const part of wanted) {
      if (this.error !== undefined) return;
      this.command(part, depth);
    }
  }

  command(command: string, depth: number): void {
    const repeat = /^#(\d{1,4})\s+(.+)$/.exec(command);
    if (repeat !== null) {
      const times = Number(repeat[1]);
      if (times > CommandLimits.maxRepeat) {
        this.error = `#${times}: at most ${CommandLimits.maxRepeat} repeats`;
        return;
      }
      for (let i = 0; i < times && this.error === undefined; i++) this.line(repeat[2] ?? '', depth);
      return;
    }
    const alias = matchAlias(command, this.#opts.aliases);
    if (alias !== undefined) {
      if (depth >= CommandLimits.maxDepth) {
        this.error = `alias loop: "${command.slice(0, 40)}" nests more than ${CommandLimits.maxDepth} deep`;
        return;
      }
      for (const part of splitCommands(alias.body, this.#opts.separator)) {
        const [text, used] = substitute(part, alias.args, alias.rest);
        // `k` = `kill`: words typed after an alias that uses no $ go on the end.
        const full = used || !alias.append || alias.rest === '' ? text : `${text} ${alias.rest}`;
        this.line(this.#escape(full), depth + 1);
        if (this.error !== undefined) return;
      }
      return;
    }
    const walk = this.#opts.speedwalk ? parseSpeedwalk(command) : undefined;
    for (const c of walk ?? [command]) this.push(c);
  }

  /** Separators that came from arguments stay literal when the body is split again. */
  #escape(text: string): string {
    const sep = this.#opts.separator;
    return sep === '' ? text : text.replaceAll(sep, `\\${sep}`);
  }

  push(command: string): void {
    if (this.commands.length >= CommandLimits.maxCommands) {
      this.error = `one line may send at most ${CommandLimits.maxCommands} commands`;
      return;
    }
    this.commands.push(command);
  }
}

/** Expands one typed line into the commands to send, in order. */
export function expandLine(line: string, opts: ScriptOptions): Expansion {
  const e = new Expander(opts);
  e.line(line, 0);
  return e.error === undefined
    ? { commands: e.commands }
    : { commands: e.commands, error: e.error };
}
