import { Cmd } from './codes.ts';

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
