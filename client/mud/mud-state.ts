/**
 * What the panels show, folded from GMCP and MSDP as tbaMUD (KaVir's protocol snippet), MTH
 * and IRE-style servers send it: vitals and their maxima, the room and its exits, and a few
 * status values. Every value from the host is untrusted: numbers are parsed, text is
 * stripped of control characters and capped. DOM-free.
 */

export interface Gauge {
  value: number;
  max: number;
}

export interface RoomState {
  name: string;
  area: string;
  /** Exit directions as the host names them (`n`, `north`, `up`…), at most 16. */
  exits: string[];
  id: string;
}

export interface MudState {
  health: Gauge | undefined;
  mana: Gauge | undefined;
  movement: Gauge | undefined;
  room: RoomState | undefined;
  /** Status line entries in display order: label → value. */
  status: Map<string, string>;
}

export const emptyMudState = (): MudState => ({
  health: undefined,
  mana: undefined,
  movement: undefined,
  room: undefined,
  status: new Map(),
});

/** The variables the panels use; asked for with MSDP REPORT when the host lists them. */
export const MSDP_WANTED = [
  'CHARACTER_NAME',
  'HEALTH',
  'HEALTH_MAX',
  'MANA',
  'MANA_MAX',
  'MOVEMENT',
  'MOVEMENT_MAX',
  'LEVEL',
  'EXPERIENCE',
  'MONEY',
  'OPPONENT_NAME',
  'OPPONENT_HEALTH',
  'OPPONENT_HEALTH_MAX',
  'ROOM',
  'ROOM_NAME',
  'ROOM_EXITS',
  'ROOM_VNUM',
  'AREA_NAME',
] as const;

/** The GMCP modules the panels use, for `Core.Supports.Set`. */
export const GMCP_SUPPORTS = ['Char 1', 'Char.Vitals 1', 'Char.Status 1', 'Room 1', 'Room.Info 1'];

const MAX_TEXT = 80;
const MAX_EXITS = 16;

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const clean = (v: unknown): string => String(v).replace(/[\u0000-\u001f\u007f-\u009f]/g, '');

function text(v: unknown): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  return clean(v).trim().slice(0, MAX_TEXT);
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || !/^\s*-?\d+(\.\d+)?\s*$/.test(v)) return undefined;
  return Number(v);
}

const record = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;

/** First key present (case-insensitive) among `names`. */
function pick(r: Record<string, unknown>, names: readonly string[]): unknown {
  for (const [k, v] of Object.entries(r)) if (names.includes(k.toLowerCase())) return v;
  return undefined;
}

function gauge(old: Gauge | undefined, value: unknown, max: unknown): Gauge | undefined {
  const v = num(value) ?? old?.value;
  const m = num(max) ?? old?.max;
  if (v === undefined) return old;
  return { value: v, max: m !== undefined && m > 0 ? m : Math.max(v, 1) };
}

function exitList(v: unknown): string[] {
  const r = record(v);
  const names = r !== undefined ? Object.keys(r) : Array.isArray(v) ? v : [];
  return names
    .map(text)
    .filter((e): e is string => e !== undefined && e !== '')
    .slice(0, MAX_EXITS);
}

function setStatus(s: MudState, label: string, v: unknown): boolean {
  const t = text(v);
  if (t === undefined || s.status.get(label) === t) return false;
  if (t === '') s.status.delete(label);
  else s.status.set(label, t);
  return true;
}

/** Folds one GMCP message in; true when something shown changed. */
export function applyGmcp(s: MudState, pkg: string, data: unknown): boolean {
  const r = record(data);
  if (r === undefined) return false;
  switch (pkg.toLowerCase()) {
    case 'char.vitals': {
      s.health = gauge(s.health, pick(r, ['hp', 'health']), pick(r, ['maxhp', 'maxhealth']));
      s.mana = gauge(s.mana, pick(r, ['mp', 'mana', 'sp']), pick(r, ['maxmp', 'maxmana', 'maxsp']));
      s.movement = gauge(
        s.movement,
        pick(r, ['mv', 'moves', 'movement', 'ep']),
        pick(r, ['maxmv', 'maxmoves', 'maxmovement', 'maxep']),
      );
      return true;
    }
    case 'char.status': {
      let changed = setStatus(s, 'Name', pick(r, ['name']));
      changed = setStatus(s, 'Level', pick(r, ['level'])) || changed;
      return setStatus(s, 'Gold', pick(r, ['gold', 'money'])) || changed;
    }
    case 'room.info': {
      s.room = {
        name: text(pick(r, ['name'])) ?? '',
        area: text(pick(r, ['area', 'zone'])) ?? '',
        exits: exitList(pick(r, ['exits'])),
        id: text(pick(r, ['num', 'vnum', 'id'])) ?? '',
      };
      return true;
    }
    default:
      return false;
  }
}

const STATUS_VARS: Record<string, string> = {
  CHARACTER_NAME: 'Name',
  LEVEL: 'Level',
  EXPERIENCE: 'XP',
  MONEY: 'Gold',
  OPPONENT_NAME: 'Fighting',
};

/** Folds one MSDP update in; true when something shown changed. */
export function applyMsdp(s: MudState, data: Record<string, unknown>): boolean {
  const d = data;
  let changed = false;
  if ('HEALTH' in d || 'HEALTH_MAX' in d) {
    s.health = gauge(s.health, d.HEALTH, d.HEALTH_MAX);
    changed = true;
  }
  if ('MANA' in d || 'MANA_MAX' in d) {
    s.mana = gauge(s.mana, d.MANA, d.MANA_MAX);
    changed = true;
  }
  if ('MOVEMENT' in d || 'MOVEMENT_MAX' in d) {
    s.movement = gauge(s.movement, d.MOVEMENT, d.MOVEMENT_MAX);
    changed = true;
  }
  for (const [name, label] of Object.entries(STATUS_VARS))
    if (name in d) changed = setStatus(s, label, d[name]) || changed;
  const room = record(d.ROOM);
  if (room !== undefined) {
    s.room = {
      name: text(room.NAME) ?? '',
      area: text(room.AREA) ?? '',
      exits: exitList(room.EXITS),
      id: text(room.VNUM) ?? '',
    };
    changed = true;
  }
  if ('ROOM_NAME' in d || 'ROOM_EXITS' in d || 'AREA_NAME' in d || 'ROOM_VNUM' in d) {
    const old = s.room ?? { name: '', area: '', exits: [], id: '' };
    s.room = {
      name: 'ROOM_NAME' in d ? (text(d.ROOM_NAME) ?? '') : old.name,
      area: 'AREA_NAME' in d ? (text(d.AREA_NAME) ?? '') : old.area,
      exits: 'ROOM_EXITS' in d ? exitList(d.ROOM_EXITS) : old.exits,
      id: 'ROOM_VNUM' in d ? (text(d.ROOM_VNUM) ?? '') : old.id,
    };
    changed = true;
  }
  return changed;
}

/** `REPORTABLE_VARIABLES` (a list or a single name) intersected with what the panels use. */
export function reportRequest(value: unknown): string[] {
  const names = new Set((Array.isArray(value) ? value : [value]).map((v) => String(v)));
  return MSDP_WANTED.filter((n) => names.has(n));
}

/** Fraction filled, 0…1. */
export const fraction = (g: Gauge): number => Math.min(1, Math.max(0, g.value / g.max));
