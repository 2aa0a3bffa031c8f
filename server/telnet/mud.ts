import { jsonTooDeep, Limits } from '../../shared/protocol.ts';
import { Cmd, Msdp, Opt, TelnetLimits } from './codes.ts';
import { escapeIac } from './outbound.ts';

/** A decoded GMCP message, or the reason it was dropped. */
export type GmcpResult =
  | { kind: 'gmcp'; package: string; data: unknown }
  | { kind: 'error'; message: string };

/** A decoded MSDP table, or the reason it was dropped. */
export type MsdpResult =
  | { kind: 'msdp'; data: Record<string, unknown> }
  | { kind: 'error'; message: string };

const utf8 = new TextDecoder();
const PACKAGE = /^[A-Za-z0-9_.-]+$/;

/** Same rule as shared/protocol.ts applies to the client's GMCP package names. */
export function isGmcpPackage(name: string): boolean {
  return name.length > 0 && name.length <= Limits.maxPackageChars && PACKAGE.test(name);
}

// Own properties only: a peer-chosen key such as "__proto__" must not touch a prototype.
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** GMCP: `Package.Name` then optionally a space and JSON (tintin.mudhalla.net/protocols/gmcp). */
export function decodeGmcp(payload: Uint8Array): GmcpResult {
  const text = utf8.decode(payload);
  const space = text.indexOf(' ');
  const name = space === -1 ? text : text.slice(0, space);
  if (!isGmcpPackage(name)) {
    return {
      kind: 'error',
      message: `GMCP package name ${JSON.stringify(name.slice(0, 40))} refused`,
    };
  }
  const body = space === -1 ? '' : text.slice(space + 1).trim();
  if (body === '') return { kind: 'gmcp', package: name, data: undefined };
  // Deeper nesting than any MUD uses would overflow the stack when re-encoded for the browser.
  if (jsonTooDeep(body)) {
    return { kind: 'error', message: `GMCP ${name} nested deeper than ${Limits.maxJsonDepth}` };
  }
  try {
    return { kind: 'gmcp', package: name, data: JSON.parse(body) };
  } catch {
    // Some servers send bare words ("Core.Goodbye Bye"): keep them as text, not an error.
    return { kind: 'gmcp', package: name, data: body };
  }
}

/** `IAC SB GMCP <package> [json] IAC SE`, or undefined when `data` cannot be JSON. */
export function encodeGmcp(name: string, data: unknown): Uint8Array | undefined {
  let json: string | undefined;
  try {
    json = data === undefined ? undefined : JSON.stringify(data);
  } catch {
    return undefined;
  }
  const text = json === undefined ? name : `${name} ${json}`;
  return Buffer.concat([
    Uint8Array.of(Cmd.IAC, Cmd.SB, Opt.GMCP),
    escapeIac(Buffer.from(text, 'utf8')),
    Uint8Array.of(Cmd.IAC, Cmd.SE),
  ]);
}

const MSDP_MAX_ENCODED_BYTES = 4096;
const MSDP_MAX_ENCODE_DEPTH = 4;

// MSDP markers (1–6) inside a name or value would change its structure: they are dropped.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the markers are control bytes.
const msdpText = (v: unknown): string => String(v).replace(/[\u0000-\u0006]/g, '');

function msdpValue(value: unknown, depth: number, out: number[]): boolean {
  if (depth > MSDP_MAX_ENCODE_DEPTH) return false;
  if (Array.isArray(value)) {
    // A command's arguments (`REPORT HEALTH MANA`) go as several VALs, as TinTin++ and Mudlet send them.
    for (const item of value) {
      out.push(Msdp.VAL);
      if (!msdpScalarOrTable(item, depth + 1, out)) return false;
    }
    return true;
  }
  out.push(Msdp.VAL);
  return msdpScalarOrTable(value, depth, out);
}

function msdpScalarOrTable(value: unknown, depth: number, out: number[]): boolean {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    out.push(Msdp.TABLE_OPEN);
    if (!msdpTable(value as Record<string, unknown>, depth + 1, out)) return false;
    out.push(Msdp.TABLE_CLOSE);
    return true;
  }
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
    return false;
  out.push(...Buffer.from(msdpText(value), 'utf8'));
  return true;
}

function msdpTable(table: Record<string, unknown>, depth: number, out: number[]): boolean {
  for (const [name, value] of Object.entries(table)) {
    out.push(Msdp.VAR, ...Buffer.from(msdpText(name), 'utf8'));
    if (!msdpValue(value, depth, out)) return false;
    if (out.length > MSDP_MAX_ENCODED_BYTES) return false;
  }
  return true;
}

/** `IAC SB MSDP VAR name VAL value … IAC SE`, or undefined for values MSDP cannot carry. */
export function encodeMsdp(data: Record<string, unknown>): Uint8Array | undefined {
  const body: number[] = [];
  if (Object.keys(data).length === 0 || !msdpTable(data, 0, body)) return undefined;
  return Buffer.concat([
    Uint8Array.of(Cmd.IAC, Cmd.SB, Opt.MSDP),
    escapeIac(Uint8Array.from(body)),
    Uint8Array.of(Cmd.IAC, Cmd.SE),
  ]);
}

class MsdpError extends Error {}

// MSDP (tintin.mudhalla.net/protocols/msdp): VAR name VAL value, where a value is text, a
// TABLE_OPEN ... TABLE_CLOSE of VAR/VAL pairs, or an ARRAY_OPEN ... ARRAY_CLOSE of VALs.
class MsdpReader {
  #bytes: Uint8Array;
  #pos = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  table(depth: number, close: number | undefined): Record<string, unknown> {
    if (depth > TelnetLimits.maxMsdpDepth) throw new MsdpError('MSDP nested too deeply');
    const table: Record<string, unknown> = {};
    for (;;) {
      const marker = this.#bytes[this.#pos];
      if (marker === close) return table;
      if (marker === undefined) {
        if (close === undefined) return table;
        throw new MsdpError('MSDP table not closed');
      }
      this.#expect(Msdp.VAR);
      const name = this.#text();
      const values: unknown[] = [];
      while (this.#bytes[this.#pos] === Msdp.VAL) {
        this.#pos++;
        values.push(this.#value(depth));
      }
      // Older servers send an array as several VALs after one VAR.
      setOwn(table, name, values.length === 1 ? values[0] : values.length === 0 ? '' : values);
    }
  }

  #value(depth: number): unknown {
    const marker = this.#bytes[this.#pos];
    if (marker === Msdp.TABLE_OPEN) {
      this.#pos++;
      const table = this.table(depth + 1, Msdp.TABLE_CLOSE);
      this.#expect(Msdp.TABLE_CLOSE);
      return table;
    }
    if (marker !== Msdp.ARRAY_OPEN) return this.#text();
    this.#pos++;
    if (depth + 1 > TelnetLimits.maxMsdpDepth) throw new MsdpError('MSDP nested too deeply');
    const array: unknown[] = [];
    while (this.#bytes[this.#pos] === Msdp.VAL) {
      this.#pos++;
      array.push(this.#value(depth + 1));
    }
    this.#expect(Msdp.ARRAY_CLOSE);
    return array;
  }

  #text(): string {
    const start = this.#pos;
    let end = start;
    for (; end < this.#bytes.length; end++) {
      const byte = this.#bytes[end] ?? 0;
      if (byte >= Msdp.VAR && byte <= Msdp.ARRAY_CLOSE) break;
    }
    this.#pos = end;
    return utf8.decode(this.#bytes.subarray(start, end));
  }

  #expect(marker: number): void {
    if (this.#bytes[this.#pos] !== marker) {
      throw new MsdpError(`MSDP: expected marker ${marker} at byte ${this.#pos}`);
    }
    this.#pos++;
  }
}

/** Decodes one MSDP subnegotiation to plain JS, or returns why it could not. */
export function decodeMsdp(payload: Uint8Array): MsdpResult {
  try {
    return { kind: 'msdp', data: new MsdpReader(payload).table(0, undefined) };
  } catch (error) {
    if (error instanceof MsdpError) return { kind: 'error', message: error.message };
    throw error;
  }
}

/** MSSP: VAR name VAL value [VAL value ...] (tintin.mudhalla.net/protocols/mssp). */
export function decodeMssp(payload: Uint8Array): Record<string, string[]> {
  const vars: Record<string, string[]> = {};
  let name: string | undefined;
  let marker = 0;
  let start = 0;
  for (let i = 0; i <= payload.length; i++) {
    const byte = payload[i];
    if (byte !== undefined && byte !== Msdp.VAR && byte !== Msdp.VAL) continue;
    const text = utf8.decode(payload.subarray(start, i));
    if (marker === Msdp.VAR) {
      name = text;
      setOwn(vars, name, Object.hasOwn(vars, name) ? vars[name] : []);
    } else if (marker === Msdp.VAL && name !== undefined) vars[name]?.push(text);
    marker = byte ?? 0;
    start = i + 1;
  }
  return vars;
}
