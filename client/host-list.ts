/** The picker's data: host records from /api/hosts, filtering, last-used ordering. DOM-free. */
import { type InputMode, isHostId } from '../shared/api.ts';
import { readJson, type StorageLike, writeJson } from './storage.ts';

export interface HostInfo {
  id: string;
  name: string;
  description: string | undefined;
  tags: string[];
  protocol: string;
  input: InputMode;
  address: string | undefined;
  players: number | undefined;
}

const str = (v: unknown, max: number): string | undefined =>
  typeof v === 'string' ? v.slice(0, max) : undefined;

/** Validates one entry of `GET /api/hosts`; undefined if it is not usable. */
export function parseHost(value: unknown): HostInfo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const id = str(v.id, 64);
  const name = str(v.name, 100);
  if (id === undefined || !isHostId(id) || name === undefined) return undefined;
  const mssp =
    typeof v.mssp === 'object' && v.mssp !== null ? (v.mssp as Record<string, unknown>) : {};
  const players = mssp.players;
  return {
    id,
    name,
    description: str(v.description, 500),
    tags: Array.isArray(v.tags) ? v.tags.flatMap((t) => str(t, 32) ?? []).slice(0, 16) : [],
    protocol: str(v.protocol, 16) ?? 'tcp',
    input: v.input === 'line' ? 'line' : 'raw',
    address: str(v.address, 300),
    players: typeof players === 'number' && Number.isFinite(players) ? players : undefined,
  };
}

export function parseHostList(body: unknown): HostInfo[] {
  const hosts =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>).hosts : undefined;
  return Array.isArray(hosts) ? hosts.flatMap((h) => parseHost(h) ?? []) : [];
}

/** Hosts whose name, id, description or tags contain every word of the query. */
export function filterHosts(hosts: readonly HostInfo[], query: string): HostInfo[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...hosts];
  return hosts.filter((h) => {
    const hay = [h.name, h.id, h.description ?? '', ...h.tags].join('\n').toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** Recently used hosts first (most recent first), the rest in the server's order. */
export function orderHosts(hosts: readonly HostInfo[], recent: readonly string[]): HostInfo[] {
  const rank = new Map(recent.map((id, i) => [id, i]));
  return [...hosts]
    .map((h, i) => ({ h, i, r: rank.get(h.id) ?? Number.POSITIVE_INFINITY }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map(({ h }) => h);
}

const RECENT_KEY = 'recent';
const MAX_RECENT = 20;

export function loadRecent(storage: StorageLike | undefined): string[] {
  const v = readJson(storage, RECENT_KEY);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && isHostId(x)) : [];
}

export function rememberHost(storage: StorageLike | undefined, hostId: string): void {
  const next = [hostId, ...loadRecent(storage).filter((id) => id !== hostId)].slice(0, MAX_RECENT);
  writeJson(storage, RECENT_KEY, next);
}
