/**
 * Scripted telnet backends for the browser tests: a MUD-like login that takes over echo for
 * the password, a NAWS recorder, and a hostile host that prints escape sequences.
 */
import type { Socket } from 'node:net';
import { type FakeBackend, startBackend } from '../helpers/backends.ts';

export const IAC = 255;
export const SB = 250;
export const SE = 240;
export const WILL = 251;
export const WONT = 252;
export const DO = 253;
export const ECHO = 1;
export const NAWS = 31;

/** Calls `onLine` for each line (CR LF, CR NUL, LF or CR) a socket sends, IAC sequences removed. */
export function onLines(socket: Socket, onLine: (line: string) => void): void {
  let line: number[] = [];
  let inSb = false;
  socket.on('data', (chunk: Buffer) => {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] ?? 0;
      const next = chunk[i + 1];
      if (inSb) {
        if (b === IAC && next === SE) {
          inSb = false;
          i++;
        }
      } else if (b === IAC) {
        // Sequences split across reads do not happen with these small scripted exchanges.
        if (next === SB) inSb = true;
        i += next !== undefined && next >= WILL && next < IAC ? 2 : 1;
      } else if (b === 13 || b === 10) {
        if (b === 13 || line.length > 0) onLine(Buffer.from(line).toString('utf8'));
        line = [];
        if (b === 13 && (next === 10 || next === 0)) i++;
      } else line.push(b);
    }
  });
}

/** A MUD login: name in the clear, password with the host echoing (IAC WILL ECHO), then commands. */
export function loginMud(): Promise<FakeBackend> {
  return startBackend((socket) => {
    let stage: 'name' | 'password' | 'game' = 'name';
    let name = '';
    socket.write('Welcome to TestMUD\r\nWhat is your name? ');
    onLines(socket, (line) => {
      if (stage === 'name') {
        name = line;
        stage = 'password';
        socket.write(Buffer.concat([Buffer.from('Password: '), Buffer.from([IAC, WILL, ECHO])]));
      } else if (stage === 'password') {
        stage = 'game';
        socket.write(
          Buffer.concat([
            Buffer.from([IAC, WONT, ECHO]),
            Buffer.from(`\r\nWelcome back, ${name}.\r\n> `),
          ]),
        );
      } else {
        socket.write(`You said: ${line}\r\n> `);
      }
    });
  });
}

export interface NawsBackend extends FakeBackend {
  /** Every NAWS size received, in order. */
  sizes: { cols: number; rows: number }[];
}

/** Asks for NAWS and records each size it is told. */
export async function nawsRecorder(): Promise<NawsBackend> {
  const sizes: { cols: number; rows: number }[] = [];
  const backend = await startBackend((socket) => {
    socket.write(Buffer.concat([Buffer.from([IAC, DO, NAWS]), Buffer.from('NAWS recorder\r\n')]));
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const at = buf.indexOf(Buffer.from([IAC, SB, NAWS]));
        if (at < 0) break;
        // RFC 1073: a 255 inside the values is doubled; our sizes stay below 255 × 256.
        const end = buf.indexOf(Buffer.from([IAC, SE]), at + 3);
        if (end < 0) break;
        const v = [...buf.subarray(at + 3, end)].filter(
          (b, i, a) => !(b === IAC && a[i - 1] === IAC),
        );
        sizes.push({
          cols: ((v[0] ?? 0) << 8) | (v[1] ?? 0),
          rows: ((v[2] ?? 0) << 8) | (v[3] ?? 0),
        });
        buf = buf.subarray(end + 2);
      }
    });
  });
  return Object.assign(backend, { sizes });
}

/** Prints `payload` once a client connects, then stays open and records what comes back. */
export function printer(payload: string | Buffer): Promise<FakeBackend> {
  return startBackend((socket) => socket.write(payload));
}
