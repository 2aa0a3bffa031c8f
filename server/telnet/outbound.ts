import type { Newline } from '../codec.ts';
import { createBackendEncoder, type Transcode } from './charset.ts';
import { Cmd } from './codes.ts';

const CR = 0x0d;
const LF = 0x0a;

const NEWLINE_BYTES: Readonly<Record<Exclude<Newline, 'auto'>, Uint8Array>> = {
  crlf: Uint8Array.of(CR, LF), // RFC 854 NVT end of line
  'cr-nul': Uint8Array.of(CR, 0), // RFC 854 bare carriage return
  lf: Uint8Array.of(LF),
  cr: Uint8Array.of(CR),
};

/** Doubles every 0xFF (RFC 854), so no byte from the browser can start a telnet command. */
export function escapeIac(bytes: Uint8Array): Uint8Array {
  let at = bytes.indexOf(Cmd.IAC);
  if (at === -1) return bytes;
  let count = 0;
  for (let i = at; i !== -1; i = bytes.indexOf(Cmd.IAC, i + 1)) count++;
  const out = new Uint8Array(bytes.length + count);
  let from = 0;
  let to = 0;
  while (at !== -1) {
    out.set(bytes.subarray(from, at + 1), to);
    to += at + 1 - from;
    out[to++] = Cmd.IAC;
    from = at + 1;
    at = bytes.indexOf(Cmd.IAC, from);
  }
  out.set(bytes.subarray(from), to);
  return out;
}

/**
 * Browser keystrokes (UTF-8 from xterm.js) → bytes for the backend: Enter as the host's
 * newline, then the host's character set, then (for telnet) IAC doubling. Returns the input
 * itself when nothing needs to change.
 */
export class ClientEncoder {
  #newline: Uint8Array;
  #auto: boolean;
  #escape: boolean;
  #encode: Transcode | undefined;
  #afterCr = false;

  constructor(encoding: string, newline: Newline, escapeIacBytes: boolean) {
    this.#auto = newline === 'auto';
    this.#newline = NEWLINE_BYTES[newline === 'auto' ? 'crlf' : newline];
    this.#escape = escapeIacBytes;
    this.#encode = createBackendEncoder(encoding);
  }

  /** Switches the character set (e.g. after RFC 2066 CHARSET agreed on UTF-8). */
  setEncoding(encoding: string): void {
    this.#encode = createBackendEncoder(encoding);
  }

  /**
   * We now transmit in BINARY (RFC 856) or stopped: with `auto`, Enter is the terminal's
   * own CR in binary mode (inetutils telnetd passes a CR LF to the pty as two line ends)
   * and the NVT CR LF otherwise. A configured newline never changes.
   */
  setBinary(binary: boolean): void {
    if (this.#auto) this.#newline = NEWLINE_BYTES[binary ? 'cr' : 'crlf'];
  }

  encode(bytes: Uint8Array): Uint8Array {
    const lines = this.#translateEnter(bytes);
    const encoded = this.#encode === undefined ? lines : this.#encode(lines);
    return this.#escape ? escapeIac(encoded) : encoded;
  }

  // xterm.js sends Enter as a lone CR and turns pasted line ends into CR too. A CR LF pair
  // (from other clients, or split across two messages) is still one Enter.
  #translateEnter(bytes: Uint8Array): Uint8Array {
    let start = this.#afterCr && bytes[0] === LF ? 1 : 0;
    if (bytes.length > 0) this.#afterCr = bytes[bytes.length - 1] === CR;
    let cr = bytes.indexOf(CR, start);
    if (cr === -1) return start === 0 ? bytes : bytes.subarray(start);
    const parts: Uint8Array[] = [];
    while (cr !== -1) {
      parts.push(bytes.subarray(start, cr), this.#newline);
      start = bytes[cr + 1] === LF ? cr + 2 : cr + 1;
      cr = bytes.indexOf(CR, start);
    }
    parts.push(bytes.subarray(start));
    return Buffer.concat(parts);
  }
}
