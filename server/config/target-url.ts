/**
 * A host's `target`: `telnet://`, `telnets://`, `tcp://`, `tls://` or `ssh://` HOST:PORT, or
 * `builtin:demo`. Validated in the config schema, split into its parts for the catalogue.
 */
import { z } from 'zod';
import { classify, endsInNumber } from '../common/address.ts';

const TARGET_RE = /^(tcp|telnets?|tls|ssh):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export const targetSchema = z.string().refine((v) => v === 'builtin:demo' || isTargetUrl(v), {
  message:
    'must be telnet://HOST:PORT, telnets://HOST:PORT, tcp://HOST:PORT, tls://HOST:PORT, ssh://HOST:PORT or builtin:demo',
});

function isTargetUrl(v: string): boolean {
  const m = TARGET_RE.exec(v);
  const port = Number(m?.[3]);
  // A host whose last label is a number is an IP literal (getaddrinfo reads `0x7f.1` as
  // 127.0.0.1): it must parse as one, and is dialled in its canonical form (SECURITY.md B3).
  const host = m?.[2]?.replace(/^\[|\]$/g, '') ?? '';
  const literalOk = !endsInNumber(host) || classify(host) !== undefined;
  return m !== null && port >= 1 && port <= 65535 && literalOk;
}

/** How a target is reached: the scheme of its URL (`builtin` for the demo). */
export type TargetKind = 'tcp' | 'telnet' | 'telnets' | 'tls' | 'ssh' | 'builtin';

export function schemeOf(value: string): TargetKind {
  return value === 'builtin:demo'
    ? 'builtin'
    : ((TARGET_RE.exec(value)?.[1] ?? 'tcp') as TargetKind);
}

export interface ParsedTarget {
  kind: TargetKind;
  host: string;
  port: number;
}

/** Splits a validated target string into its parts. */
export function parseTarget(value: string): ParsedTarget {
  if (value === 'builtin:demo') return { kind: 'builtin', host: 'demo', port: 0 };
  const m = TARGET_RE.exec(value);
  if (m === null || m[1] === undefined || m[2] === undefined)
    throw new Error(`parseTarget: not a validated target: ${value}`);
  const raw = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  const host = classify(raw)?.canonical ?? raw;
  return { kind: schemeOf(value), host, port: Number(m[3]) };
}
