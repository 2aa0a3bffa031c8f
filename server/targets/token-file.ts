/**
 * websockify's TokenFile plugin: `?token=X` names a target through a file (or a directory of
 * files) of `token: host:port` lines. Like websockify's TokenFile, the source is read again
 * at every connection, so an edit applies to the next session. Bounded: at most
 * MAX_FILES files of MAX_FILE_BYTES each.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { classify } from '../common/address.ts';
import type { HostConfig } from '../config/config.ts';
import type { HostEntry } from './catalogue.ts';

const MAX_FILES = 1000;
const MAX_FILE_BYTES = 1024 * 1024;

export interface TokenTarget {
  host: string;
  port: number;
}

/** A line's parts, as websockify splits them: the token ends at the first `:` plus whitespace. */
export function parseTokenLine(line: string): [string, TokenTarget] | undefined {
  const m = /^(.*?):\s+(.*)$/.exec(line);
  const target = m?.[2]?.trim();
  if (m === null || m[1] === undefined || m[1] === '' || target === undefined) return undefined;
  const colon = target.lastIndexOf(':');
  const rawHost = target.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(target.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return [m[1], { host: classify(rawHost)?.canonical ?? rawHost, port }];
}

async function sourceFiles(source: string): Promise<string[]> {
  if (!(await stat(source)).isDirectory()) return [source];
  const names = (await readdir(source)).filter((n) => !n.startsWith('.')).sort();
  return names.slice(0, MAX_FILES).map((n) => join(source, n));
}

export interface TokenLookup {
  target: TokenTarget | undefined;
  /** `file:line` of lines that are not `token: host:port`, for the log. */
  badLines: string[];
}

/** Looks a token up in the source; rejects only when the source cannot be read at all. */
export async function lookupToken(source: string, token: string): Promise<TokenLookup> {
  const badLines: string[] = [];
  for (const file of await sourceFiles(source)) {
    const info = await stat(file);
    if (!info.isFile() || info.size > MAX_FILE_BYTES) continue;
    const lines = (await readFile(file, 'utf8')).split('\n');
    for (const [i, raw] of lines.entries()) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const parsed = parseTokenLine(line);
      if (parsed === undefined) badLines.push(`${file}:${i + 1}`);
      else if (parsed[0] === token) return { target: parsed[1], badLines };
    }
  }
  return { target: undefined, badLines };
}

/** The host entry a token's target runs as: a raw byte bridge, id `token`, named by address. */
export function tokenEntry(target: TokenTarget): HostEntry {
  const { host, port } = target;
  const name = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const config: HostConfig = {
    id: 'token',
    name,
    target: `tcp://${name}`,
    encoding: 'utf-8',
    newline: 'auto',
    showAddress: false,
    mnes: false,
    rawTelnet: false,
  };
  return {
    config,
    target: { kind: 'tcp', host, port },
    protocol: 'tcp',
    input: 'raw',
    mssp: undefined,
  };
}
