import { Limits } from '../../shared/protocol.ts';
import { Charset, Cmd, Mtts, Opt, Ttype } from './codes.ts';
import { escapeIac } from './outbound.ts';

function subnegotiation(option: number, body: Uint8Array): Uint8Array {
  return Buffer.concat([
    Uint8Array.of(Cmd.IAC, Cmd.SB, option),
    escapeIac(body),
    Uint8Array.of(Cmd.IAC, Cmd.SE),
  ]);
}

/** SECURITY.md D8: sizes the backend sees are clamped; NaN and ±Infinity are not sizes. */
export function clampSize(cols: number, rows: number): { cols: number; rows: number } | undefined {
  if (!Number.isFinite(cols) || !Number.isFinite(rows)) return undefined;
  return {
    cols: Math.min(Limits.maxCols, Math.max(Limits.minCols, Math.trunc(cols))),
    rows: Math.min(Limits.maxRows, Math.max(Limits.minRows, Math.trunc(rows))),
  };
}

/** RFC 1073: `IAC SB NAWS w16 h16 IAC SE`, with a 0xFF inside the values doubled. */
export function encodeNaws(cols: number, rows: number): Uint8Array {
  const body = Uint8Array.of(cols >> 8, cols & 0xff, rows >> 8, rows & 0xff);
  return subnegotiation(Opt.NAWS, body);
}

/** What sets the optional MTTS bits. */
export interface MttsFlags {
  utf8: boolean;
  screenReader: boolean;
  mnes: boolean;
  tls: boolean;
}

/** The MTTS bits that are true for xterm.js behind Porthole. */
export function mttsBits({ utf8, screenReader, mnes, tls }: MttsFlags): number {
  let bits = Mtts.ANSI | Mtts.VT100 | Mtts.COLORS_256 | Mtts.TRUECOLOR;
  // Porthole is a proxy between the player's terminal and the MUD; MTTS asks us to say so.
  bits |= Mtts.PROXY;
  if (utf8) bits |= Mtts.UTF8;
  if (screenReader) bits |= Mtts.SCREEN_READER;
  if (mnes) bits |= Mtts.MNES;
  if (tls) bits |= Mtts.SSL;
  return bits;
}

/** `IAC SB TTYPE IS <name> IAC SE` (RFC 1091). */
export function encodeTtype(name: string): Uint8Array {
  return subnegotiation(
    Opt.TTYPE,
    Buffer.concat([Uint8Array.of(Ttype.IS), Buffer.from(name, 'latin1')]),
  );
}

/**
 * The TTYPE answers in order. RFC 1091 servers take the first answer; MTTS servers read
 * the second as the terminal type and the third as `MTTS <bits>`. Repeating the last one
 * tells both kinds that the list is over.
 */
export class TtypeCycle {
  #terminalType: string;
  #sent = 0;

  constructor(terminalType: string) {
    this.#terminalType = terminalType.toUpperCase();
  }

  next(bits: number): string {
    const answer = this.#sent < 2 ? this.#terminalType : `MTTS ${bits}`;
    this.#sent = Math.min(this.#sent + 1, 2);
    return answer;
  }
}

const UTF8_NAME = /^utf-?8$/i;
const TTABLE = Buffer.from('[TTABLE]', 'latin1');

/** The reply to an RFC 2066 CHARSET subnegotiation, and the set we agreed to, if any. */
export interface CharsetAnswer {
  reply: Uint8Array | undefined;
  accepted: string | undefined;
}

/** Accepts UTF-8 when offered; rejects every other set and every translation table. */
export function answerCharset(payload: Uint8Array): CharsetAnswer {
  const verb = payload[0];
  if (verb === Charset.TTABLE_IS) {
    return {
      reply: subnegotiation(Opt.CHARSET, Uint8Array.of(Charset.TTABLE_REJECTED)),
      accepted: undefined,
    };
  }
  if (verb !== Charset.REQUEST) return { reply: undefined, accepted: undefined };
  let at = 1;
  // RFC 2066 §4: REQUEST may start with "[TTABLE]" and a version byte before the list.
  if (Buffer.from(payload.subarray(1, 1 + TTABLE.length)).equals(TTABLE)) at += TTABLE.length + 1;
  const separator = payload[at];
  const names =
    separator === undefined
      ? []
      : Buffer.from(payload.subarray(at + 1))
          .toString('latin1')
          .split(String.fromCharCode(separator));
  const utf8 = names.find((name) => UTF8_NAME.test(name));
  if (utf8 === undefined) {
    return {
      reply: subnegotiation(Opt.CHARSET, Uint8Array.of(Charset.REJECTED)),
      accepted: undefined,
    };
  }
  const body = Buffer.concat([Uint8Array.of(Charset.ACCEPTED), Buffer.from(utf8, 'latin1')]);
  return { reply: subnegotiation(Opt.CHARSET, body), accepted: utf8 };
}
