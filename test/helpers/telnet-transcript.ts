/**
 * Golden-transcript helpers for the telnet engine (the way libtelnet's own tests work):
 * wire bytes are written as text with `\xHH` escapes and `{IAC WILL ECHO}` groups, and
 * events come out as one readable line each.
 */
import type { Codec, CodecEvent, CodecOptions, Newline } from '../../server/codec/codec.ts';
import { Cmd, Opt } from '../../server/telnet/codes.ts';

// EOR is both a command (239) and an option (25): the command wins; write the option OPT_EOR.
const NAMES: ReadonlyMap<string, number> = new Map([
  ...Object.entries(Opt),
  ...Object.entries(Cmd),
  ['OPT_EOR', Opt.EOR],
  ['IS', 0],
  ['SEND', 1],
]);
const CMD_NAMES = new Map<number, string>(Object.entries(Cmd).map(([k, v]) => [v, k]));
const OPT_NAMES = new Map<number, string>(Object.entries(Opt).map(([k, v]) => [v, k]));

/**
 * Text → bytes. Escapes: `\xHH`, `\r`, `\n`, `\t`, `\0`, `\\`, `\{`. A `{...}` group holds
 * space-separated names (IAC, WILL, TTYPE, ...) or decimal numbers, one byte each.
 */
export function parseWire(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    if (ch === '{') {
      const end = text.indexOf('}', i);
      if (end === -1) throw new Error(`unclosed { in ${text}`);
      for (const word of text
        .slice(i + 1, end)
        .trim()
        .split(/\s+/))
        out.push(byteFor(word));
      i = end;
    } else if (ch === '\\') {
      const next = text[++i];
      if (next === 'x') {
        out.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else
        out.push(...Buffer.from(ESCAPES[next ?? ''] ?? fail(`bad escape \\${next}`), 'latin1'));
    } else out.push(...Buffer.from(ch, 'utf8'));
  }
  return Uint8Array.from(out);
}

const ESCAPES: Record<string, string> = {
  r: '\r',
  n: '\n',
  t: '\t',
  '0': '\0',
  '\\': '\\',
  '{': '{',
};

function fail(message: string): never {
  throw new Error(message);
}

function byteFor(word: string): number {
  const named = NAMES.get(word);
  if (named !== undefined) return named;
  const n = Number(word);
  if (Number.isInteger(n) && n >= 0 && n <= 255) return n;
  return fail(`unknown byte name ${word}`);
}

/** Bytes → `"text\r\n"` with printable ASCII and valid UTF-8 shown as is, the rest as \xHH. */
export function showText(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const valid = Buffer.from(text, 'utf8').equals(Buffer.from(bytes));
  let out = '';
  if (valid) {
    for (const ch of text) out += showChar(ch);
  } else {
    for (const byte of bytes) out += byte >= 0x80 ? hex(byte) : showChar(String.fromCharCode(byte));
  }
  return `"${out}"`;
}

function showChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (ch === '\r') return '\\r';
  if (ch === '\n') return '\\n';
  if (ch === '"' || ch === '\\') return `\\${ch}`;
  if (code < 0x20 || code === 0x7f) return hex(code);
  return ch;
}

function hex(byte: number): string {
  return `\\x${byte.toString(16).padStart(2, '0')}`;
}

/** Telnet bytes → `IAC DO ECHO IAC SB NAWS 0 80 0 24 IAC SE`; printable runs are quoted. */
export function showTelnet(bytes: Uint8Array): string {
  const words: string[] = [];
  let text = '';
  const flush = (): void => {
    if (text !== '') words.push(JSON.stringify(text));
    text = '';
  };
  let numeric = false; // NAWS values read better as numbers than as "P" for 80
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i] ?? 0;
    if (byte !== Cmd.IAC) {
      if (byte >= 0x20 && byte < 0x7f && !numeric) text += String.fromCharCode(byte);
      else {
        flush();
        words.push(String(byte));
      }
      i++;
      continue;
    }
    flush();
    const next = bytes[i + 1];
    words.push('IAC');
    if (next !== undefined) words.push(CMD_NAMES.get(next) ?? String(next));
    if (next === Cmd.SE) numeric = false;
    if (next === Cmd.SB) numeric = bytes[i + 2] === Opt.NAWS;
    i += 2;
    if (next !== undefined && (next === Cmd.SB || (next >= Cmd.WILL && next <= Cmd.DONT))) {
      const option = bytes[i++];
      if (option !== undefined) words.push(OPT_NAMES.get(option) ?? String(option));
    }
  }
  flush();
  return words.join(' ');
}

/** One event → one line. */
export function showEvent(event: CodecEvent): string {
  switch (event.kind) {
    case 'data':
      return `data ${showText(event.bytes)}`;
    case 'send':
      return `send ${showTelnet(event.bytes)}`;
    case 'echo':
      return `echo local=${event.local}`;
    case 'prompt':
      return 'prompt';
    case 'gmcp':
      return `gmcp ${event.package} ${event.data === undefined ? '-' : JSON.stringify(event.data)}`;
    case 'msdp':
      return `msdp ${JSON.stringify(event.data)}`;
    case 'mssp':
      return `mssp ${JSON.stringify(event.vars)}`;
    case 'mxp':
      return `mxp ${event.enabled ? 'on' : 'off'}`;
    case 'fatal':
      return `fatal ${event.message}`;
    case 'warning':
      return `warning ${event.message}`;
  }
}

export const DEFAULT_OPTIONS: CodecOptions = {
  encoding: 'utf-8',
  newline: 'auto',
  cols: 80,
  rows: 24,
  terminalType: 'XTERM-256COLOR',
  screenReader: false,
};

/** `@ encoding=cp437 newline=lf cols=100 rows=30 screenReader=true terminalType=VT100` */
export function parseHeader(line: string): CodecOptions {
  const options: CodecOptions = { ...DEFAULT_OPTIONS };
  for (const pair of line.slice(1).trim().split(/\s+/).filter(Boolean)) {
    const [key, value = ''] = pair.split('=');
    if (key === 'encoding') options.encoding = value;
    else if (key === 'newline') options.newline = value as Newline;
    else if (key === 'cols') options.cols = Number(value);
    else if (key === 'rows') options.rows = Number(value);
    else if (key === 'terminalType') options.terminalType = value;
    else if (key === 'screenReader') options.screenReader = value === 'true';
    else throw new Error(`unknown header key ${key}`);
  }
  return options;
}

/**
 * Runs a script against a codec. Lines: `< wire` (one backend read), `> type wire`
 * (browser input; shows the bytes for the backend), `> resize C R`, `> gmcp PKG [json]`,
 * `> start`. `#` starts a comment; blank lines are skipped. Each step's output is listed
 * under the step, indented.
 */
export function runScript(codec: Codec, script: string): string {
  const out: string[] = [];
  for (const raw of script.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('#') || line.startsWith('@')) continue;
    out.push(line);
    for (const result of step(codec, line)) out.push(`  ${result}`);
  }
  return out.join('\n');
}

function step(codec: Codec, line: string): string[] {
  if (line.startsWith('< ')) return codec.fromBackend(parseWire(line.slice(2))).map(showEvent);
  const [command = '', ...args] = line.slice(2).split(' ');
  switch (command) {
    case 'type':
      return [`wire ${showTelnet(codec.fromClient(parseWire(line.slice(7))))}`];
    case 'resize':
      return codec.resize(Number(args[0]), Number(args[1])).map(showEvent);
    case 'gmcp': {
      const json = args.slice(1).join(' ');
      return codec.gmcp(args[0] ?? '', json === '' ? undefined : JSON.parse(json)).map(showEvent);
    }
    case 'start':
      return codec.start().map(showEvent);
    default:
      throw new Error(`unknown step ${line}`);
  }
}

/** Feeds each chunk in turn and merges adjacent data (and adjacent send) events. */
export function feedAll(codec: Codec, chunks: readonly Uint8Array[]): CodecEvent[] {
  return mergeAdjacent(chunks.flatMap((chunk) => codec.fromBackend(chunk)));
}

/** Adjacent data events become one, and so do adjacent send events: chunking must not matter. */
export function mergeAdjacent(events: readonly CodecEvent[]): CodecEvent[] {
  const out: CodecEvent[] = [];
  for (const event of events) {
    const last = out.at(-1);
    if (
      last !== undefined &&
      (event.kind === 'data' || event.kind === 'send') &&
      last.kind === event.kind
    ) {
      out[out.length - 1] = { kind: event.kind, bytes: Buffer.concat([last.bytes, event.bytes]) };
    } else out.push(event);
  }
  return out.map((event) =>
    event.kind === 'data' || event.kind === 'send'
      ? { kind: event.kind, bytes: Buffer.from(event.bytes) }
      : event,
  );
}

/** The bytes of every event of one kind, joined. */
export function bytesOf(events: readonly CodecEvent[], kind: 'data' | 'send'): Buffer {
  return Buffer.concat(events.flatMap((event) => (event.kind === kind ? [event.bytes] : [])));
}

/** Cuts `bytes` at the given offsets (sorted, deduplicated, clamped). */
export function splitAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(offsets.map((n) => Math.min(bytes.length, Math.max(0, n))))].sort(
    (a, b) => a - b,
  );
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > from) chunks.push(bytes.subarray(from, cut));
    from = Math.max(from, cut);
  }
  return chunks;
}
