/**
 * A scripted MUD on loopback that speaks what tbaMUD (KaVir's protocol snippet) and MTH
 * send: WILL MSDP / GMCP / MXP, MSDP answers to LIST and REPORT and REPORT updates when a
 * value changes, GMCP Char.Vitals and Room.Info, MXP `<send>` links in both styles
 * (`ESC[1z<send>ESC[7z n ESC[1z</send>ESC[7z` and `<send href=… hint=…>`), a prompt with
 * GA. It records every command line, MSDP request and GMCP message it receives.
 */
import type { Socket } from 'node:net';
import { type FakeBackend, startBackend } from '../helpers/backends.ts';

const IAC = 255;
const SB = 250;
const SE = 240;
const WILL = 251;
const DO = 253;
const GA = 249;
const MSDP = 69;
const MXP = 91;
const GMCP = 201;
const VAR = 1;
const VAL = 2;
const TABLE_OPEN = 3;
const TABLE_CLOSE = 4;

export interface ScriptedMud extends FakeBackend {
  commands: string[];
  /** MSDP from the client, as `VAR VAL VAL …` text ("REPORT HEALTH MANA"). */
  msdp: string[];
  /** GMCP from the client: "Core.Supports.Set [...]". */
  gmcp: string[];
  /** MXP replies from the client: `ESC[1z<VERSION MXP=1.0 CLIENT=…>`. */
  mxpReplies: string[];
  /** Options the client agreed to (DO). */
  agreed: Set<number>;
}

interface Player {
  socket: Socket;
  hp: number;
  mana: number;
  moves: number;
  room: number;
  reported: Set<string>;
}

const ROOMS = [
  { name: 'Temple Square', area: 'Midgaard', exits: { n: 1, e: 2 } },
  { name: 'Market Street', area: 'Midgaard', exits: { s: 0, e: 2 } },
  { name: 'Fountain Plaza', area: 'Midgaard', exits: { w: 0, s: 1, n: 1 } },
] as const;

const bytes = (...parts: (number | string)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.of(p) : Buffer.from(p, 'utf8'))));

function msdpPair(name: string, value: string | Record<string, unknown>): (number | string)[] {
  if (typeof value === 'string') return [VAR, name, VAL, value];
  const inner: (number | string)[] = [];
  for (const [k, v] of Object.entries(value)) inner.push(...msdpPair(k, v as string));
  return [VAR, name, VAL, TABLE_OPEN, ...inner, TABLE_CLOSE];
}

function variables(p: Player): Record<string, string | Record<string, unknown>> {
  const room = ROOMS[p.room] ?? ROOMS[0];
  const exits = Object.fromEntries(Object.entries(room.exits).map(([d, n]) => [d, String(n)]));
  return {
    CHARACTER_NAME: 'Aria',
    HEALTH: String(p.hp),
    HEALTH_MAX: '120',
    MANA: String(p.mana),
    MANA_MAX: '80',
    MOVEMENT: String(p.moves),
    MOVEMENT_MAX: '100',
    LEVEL: '12',
    EXPERIENCE: '4520',
    MONEY: '230',
    ROOM: { VNUM: String(3000 + p.room), NAME: room.name, AREA: room.area, EXITS: exits },
  };
}

function sendMsdp(p: Player, names: readonly string[]): void {
  const vars = variables(p);
  const parts: (number | string)[] = [];
  for (const n of names) {
    const v = vars[n];
    if (v !== undefined) parts.push(...msdpPair(n, v));
  }
  if (parts.length > 0) p.socket.write(bytes(IAC, SB, MSDP, ...parts, IAC, SE));
}

function sendGmcp(p: Player, pkg: string, data: unknown): void {
  p.socket.write(bytes(IAC, SB, GMCP, `${pkg} ${JSON.stringify(data)}`, IAC, SE));
}

function vitals(p: Player, via: 'both' | 'gmcp' | 'msdp' = 'both'): void {
  if (via !== 'msdp')
    sendGmcp(p, 'Char.Vitals', {
      hp: p.hp,
      maxhp: 120,
      mp: p.mana,
      maxmp: 80,
      mv: p.moves,
      maxmv: 100,
    });
  if (via === 'gmcp') return;
  sendMsdp(
    p,
    ['HEALTH', 'MANA', 'MOVEMENT'].filter((n) => p.reported.has(n)),
  );
}

const link = (cmd: string): string => `\x1b[1z<send>\x1b[7z${cmd}\x1b[1z</send>\x1b[7z`;

function look(p: Player): void {
  const room = ROOMS[p.room] ?? ROOMS[0];
  sendGmcp(p, 'Room.Info', {
    num: 3000 + p.room,
    name: room.name,
    area: room.area,
    exits: room.exits,
  });
  if (p.reported.has('ROOM')) sendMsdp(p, ['ROOM']);
  const exits = Object.keys(room.exits).map(link).join(' ');
  p.socket.write(
    `\x1b[1;36m${room.name}\x1b[0m\r\n` +
      `   A \x1b[1z<send href="look fountain|drink fountain" hint="Look at the fountain|Drink">fountain</send>\x1b[7z splashes here. ` +
      `See \x1b[1z<a href="https://example.org/map">the map</a>\x1b[7z.\r\n` +
      `\x1b[32m[ Exits: ${exits} ]\x1b[0m\r\n`,
  );
}

function prompt(p: Player): void {
  p.socket.write(bytes(`\r\n<${p.hp}hp ${p.mana}m ${p.moves}mv> `, IAC, GA));
}

function command(p: Player, line: string): void {
  const room = ROOMS[p.room] ?? ROOMS[0];
  const dest = (room.exits as Record<string, number>)[line];
  if (dest !== undefined) {
    p.room = dest;
    p.moves = Math.max(0, p.moves - 3);
    look(p);
    vitals(p);
  } else if (line === 'hurt') {
    p.hp = Math.max(1, p.hp - 50);
    p.mana = Math.max(0, p.mana - 20);
    p.socket.write('\x1b[31mA goblin hits you hard!\x1b[0m\r\n');
    vitals(p);
  } else if (line === 'heal' || line === 'rest') {
    // heal: only MSDP reports it; rest: only GMCP. Each alone must move the gauges.
    if (line === 'heal') p.hp = Math.min(120, p.hp + 30);
    else p.moves = Math.min(100, p.moves + 40);
    p.socket.write(`You ${line}.\r\n`);
    vitals(p, line === 'heal' ? 'msdp' : 'gmcp');
  } else if (line.startsWith('drip')) {
    // Output that keeps coming: one line every 40 ms.
    const n = Number(line.split(' ')[1] ?? 50);
    let i = 0;
    const timer = setInterval(() => {
      i++;
      if (p.socket.writable) p.socket.write(`Drip line ${i} of ${n}: rain on the roof.\r\n`);
      if (i >= n || !p.socket.writable) clearInterval(timer);
    }, 40);
    p.socket.once('close', () => clearInterval(timer));
  } else if (line.startsWith('flood')) {
    const n = Number(line.split(' ')[1] ?? 200);
    let out = '';
    for (let i = 1; i <= n; i++) out += `Flood line ${i} of ${n}: the rain keeps falling.\r\n`;
    p.socket.write(out);
  } else if (line === 'hostile') {
    const sec = (t: string): string => `\x1b[1z${t}\x1b[7z`;
    p.socket.write(
      `${sec('<send href="javascript:window.pwned=1">js</send>')} ` +
        `${sec('<img src=x onerror="window.pwned=2">')}${sec('<script>')}window.pwned=3${sec('</script>')} ` +
        `${sec('<a href="javascript:window.pwned=4">ja</a>')} ` +
        `${sec('<send "&lt;img src=x onerror=window.pwned=5&gt;">tag</send>')} ` +
        `\x1b[3z<send href="quit">open-mode</send> <b onmouseover="window.pwned=6">bold</b>\r\n`,
    );
  } else if (line === 'look') look(p);
  else if (line !== '') p.socket.write(`You ${line.split(' ')[0]}.\r\n`);
  prompt(p);
}

function onMsdp(p: Player, payload: Buffer, mud: ScriptedMud): void {
  const words = payload
    .toString('utf8')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: MSDP VAR and VAL are control bytes.
    .split(/[\x01\x02]/)
    .filter((w) => w !== '');
  mud.msdp.push(words.join(' '));
  const [verb, ...args] = words;
  if (verb === 'LIST' && args[0] === 'REPORTABLE_VARIABLES') {
    const names = Object.keys(variables(p));
    p.socket.write(
      bytes(IAC, SB, MSDP, VAR, 'REPORTABLE_VARIABLES', ...names.flatMap((n) => [VAL, n]), IAC, SE),
    );
  } else if (verb === 'REPORT') {
    for (const a of args) p.reported.add(a);
    sendMsdp(p, args);
  }
}

/** Telnet in: commands (lines), DO replies and subnegotiations, across any chunking. */
function reader(p: Player, mud: ScriptedMud): (chunk: Buffer) => void {
  let state: 'text' | 'iac' | 'verb' | 'sb' | 'sb-iac' = 'text';
  let line: number[] = [];
  let sb: number[] = [];
  let verb = 0;
  return (chunk) => {
    for (const b of chunk) {
      if (state === 'text') {
        if (b === IAC) state = 'iac';
        else if (b === 13 || b === 10) {
          if (b === 13) {
            const text = Buffer.from(line).toString('utf8');
            // MXP replies (<VERSION …>) are lines too, as in KaVir's snippet; not commands.
            if (text.startsWith('\x1b[1z<')) mud.mxpReplies.push(text);
            else {
              mud.commands.push(text);
              command(p, text);
            }
          }
          line = [];
        } else if (b !== 0) line.push(b);
      } else if (state === 'iac') {
        if (b === SB) state = 'sb';
        else if (b >= WILL && b <= 254) {
          verb = b;
          state = 'verb';
        } else state = 'text';
      } else if (state === 'verb') {
        if (verb === DO) {
          mud.agreed.add(b);
          if (b === MXP) p.socket.write(bytes(IAC, SB, MXP, IAC, SE, '\x1b[1z<VERSION>\x1b[7z'));
        }
        state = 'text';
      } else if (state === 'sb') {
        if (b === IAC) state = 'sb-iac';
        else sb.push(b);
      } else if (b === SE) {
        const [option, ...payload] = sb;
        sb = [];
        state = 'text';
        if (option === MSDP) onMsdp(p, Buffer.from(payload), mud);
        if (option === GMCP) mud.gmcp.push(Buffer.from(payload).toString('utf8'));
      } else {
        sb.push(b);
        state = 'sb';
      }
    }
  };
}

export async function scriptedMud(): Promise<ScriptedMud> {
  const extra = {
    commands: [] as string[],
    msdp: [] as string[],
    gmcp: [] as string[],
    mxpReplies: [] as string[],
    agreed: new Set<number>(),
  };
  let mud: ScriptedMud | undefined;
  const backend = await startBackend((socket) => {
    const p: Player = { socket, hp: 120, mana: 80, moves: 100, room: 0, reported: new Set() };
    socket.write(bytes(IAC, WILL, MSDP, IAC, WILL, GMCP, IAC, WILL, MXP));
    socket.write('\x1b[1;33mWelcome to ScriptMUD\x1b[0m, a test of tbaMUD-style protocols.\r\n');
    socket.on('data', reader(p, mud as ScriptedMud));
    setTimeout(() => {
      look(p);
      vitals(p);
      prompt(p);
    }, 150);
  });
  mud = Object.assign(backend, extra);
  return mud;
}
