/**
 * NEW-ENVIRON (RFC 1572) for MNES (tintin.mudhalla.net/protocols/mnes) only: the MUD asks,
 * Porthole answers with the six MNES variables and nothing else. Every value is chosen by
 * Porthole (the address the gate determined, our own name and version, the terminal type,
 * the MTTS bits, the character set); no byte typed in the browser can reach this reply, and
 * a request for USER or any other variable gets no answer (CVE-2026-24061, SECURITY.md K6).
 */
import { CLIENT_HELLO, Cmd, Opt } from './codes.ts';
import { escapeIac } from './outbound.ts';

/** RFC 1572 §1 codes. */
export const Environ = { IS: 0, SEND: 1, INFO: 2, VAR: 0, VALUE: 1, ESC: 2, USERVAR: 3 } as const;

/** The MNES variables, the only names Porthole ever sends. */
export const MNES_VARIABLES = [
  'CHARSET',
  'CLIENT_NAME',
  'CLIENT_VERSION',
  'IPADDRESS',
  'MTTS',
  'TERMINAL_TYPE',
] as const;

export type MnesName = (typeof MNES_VARIABLES)[number];
export type MnesValues = Readonly<Record<MnesName, string>>;

const MNES = new Set<string>(MNES_VARIABLES);

/** Porthole's own answers: the gate's address, our name and version, the session's terminal. */
export function mnesValues(session: {
  ipAddress: string;
  encoding: string;
  mtts: number;
  terminalType: string;
}): MnesValues {
  return {
    CHARSET: session.encoding.toUpperCase(),
    CLIENT_NAME: CLIENT_HELLO.client,
    CLIENT_VERSION: CLIENT_HELLO.version,
    IPADDRESS: session.ipAddress,
    MTTS: String(session.mtts),
    TERMINAL_TYPE: session.terminalType.toUpperCase(),
  };
}

interface Requested {
  type: number;
  name: string;
}

/** Splits `SEND [type name]…` into requests; ESC quotes the next byte (RFC 1572 §2). */
function requests(payload: Uint8Array): Requested[] {
  const out: Requested[] = [];
  let current: Requested | undefined;
  for (let i = 1; i < payload.length; i++) {
    const byte = payload[i] ?? 0;
    if (byte === Environ.VAR || byte === Environ.USERVAR) {
      current = { type: byte, name: '' };
      out.push(current);
      continue;
    }
    if (byte === Environ.ESC) i++;
    const quoted = payload[i];
    if (current !== undefined && quoted !== undefined) current.name += String.fromCharCode(quoted);
  }
  return out;
}

/** Printable ASCII only; anything else (there should be none) becomes '?'. */
function clean(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
}

/**
 * The `IAC SB NEW-ENVIRON IS … IAC SE` reply to a SEND, or undefined for anything else.
 * An empty SEND, or a type with no name, means "all of them" (RFC 1572): all six MNES
 * variables. Named requests are answered for MNES names only, each once, in the order asked.
 */
export function answerEnviron(payload: Uint8Array, values: MnesValues): Uint8Array | undefined {
  if (payload[0] !== Environ.SEND) return undefined;
  const asked = requests(payload);
  const all = asked.length === 0 || asked.some((r) => r.name === '');
  const chosen: Requested[] = all
    ? MNES_VARIABLES.map((name) => ({ type: Environ.VAR, name }))
    : asked.filter((r) => MNES.has(r.name));
  const seen = new Set<string>();
  const body: number[] = [Environ.IS];
  for (const { type, name } of chosen) {
    if (seen.has(name)) continue;
    seen.add(name);
    body.push(type, ...Buffer.from(name, 'latin1'), Environ.VALUE);
    for (const byte of Buffer.from(clean(values[name as MnesName]), 'latin1')) {
      if (byte <= Environ.USERVAR) body.push(Environ.ESC); // never reached after clean()
      body.push(byte);
    }
  }
  return Buffer.concat([
    Uint8Array.of(Cmd.IAC, Cmd.SB, Opt.NEW_ENVIRON),
    escapeIac(Uint8Array.from(body)),
    Uint8Array.of(Cmd.IAC, Cmd.SE),
  ]);
}
