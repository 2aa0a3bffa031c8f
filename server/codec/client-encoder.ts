import { createBackendEncoder, type Transcode } from './charset.ts';
import type { Newline } from './codec.ts';

const CR = 0x0d;
const LF = 0x0a;

const NEWLINE_BYTES: Readonly<Record<Exclude<Newline, 'auto'>, Uint8Array>> = {
  crlf: Uint8Array.of(CR, LF), // RFC 854 NVT end of line
  'cr-nul': Uint8Array.of(CR, 0), // RFC 854 bare carriage return
  lf: Uint8Array.of(LF),
  cr: Uint8Array.of(CR),
};

/**
 * Browser keystrokes (UTF-8 from xterm.js) → bytes for the backend: Enter as the host's
 * newline, then the host's character set, then the codec's escaping (telnet doubles IAC).
 * Returns the input itself when nothing needs to change.
 */
export class ClientEncoder {
  #newline: Uint8Array;
  #auto: boolean;
  #escape: ((bytes: Uint8Array) => Uint8Array) | undefined;
  #encode: Transcode | undefined;
  #afterCr = false;

  constructor(encoding: string, newline: Newline, escapeBytes?: (bytes: Uint8Array) => Uint8Array) {
    this.#auto = newline === 'auto';
    this.#newline = NEWLINE_BYTES[newline === 'auto' ? 'crlf' : newline];
    this.#escape = escapeBytes;
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
    return this.#escape === undefined ? encoded : this.#escape(encoded);
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
