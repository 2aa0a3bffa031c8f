/**
 * The upgrade handler's side of `customTargets`: does a request name a catalogue host or a
 * custom target, what host entry a custom target runs as, and its pinned dial. Kept apart
 * from upgrade.ts so the gate stays a list of checks (SECURITY.md B1, B4).
 */
import { isIPv6, type Socket } from 'node:net';
import type { HostConfig } from '../config/config.ts';
import type { CustomTargetsConfig } from '../config/custom-targets-schema.ts';
import type { HostEntry } from './catalogue.ts';
import {
  type CustomTarget,
  dialPinned,
  type LookupFn,
  TargetError,
  TargetPolicy,
} from './custom.ts';
import type { Lookup } from './dial.ts';

/** Query parameters that ask for a browser-chosen target. */
const TARGET_PARAMS = ['target', 'port', 'hostname'] as const;

export type TargetChoice =
  | { kind: 'catalogue' }
  | { kind: 'custom'; target: CustomTarget; entry: HostEntry }
  | { kind: 'refused'; error: TargetError };

const policies = new WeakMap<CustomTargetsConfig, TargetPolicy>();

/** One policy per (frozen) `customTargets` config, built on first use. */
export function policyFor(config: CustomTargetsConfig): TargetPolicy {
  let policy = policies.get(config);
  if (policy === undefined) {
    policy = new TargetPolicy(config);
    policies.set(config, policy);
  }
  return policy;
}

/**
 * No target parameter: a catalogue `?host=ID` request. Otherwise exactly one `?target=` and
 * no `host`/`port`/`hostname` beside it (no parameter pollution), vetted by the policy.
 * With the feature off, any such parameter is refused with 400 (B1).
 */
export function chooseTarget(config: CustomTargetsConfig, params: URLSearchParams): TargetChoice {
  if (!TARGET_PARAMS.some((k) => params.has(k))) return { kind: 'catalogue' };
  const policy = policyFor(config);
  const raw = params.getAll('target');
  if (raw.length !== 1 || params.has('host') || params.has('port') || params.has('hostname')) {
    const code = policy.enabled ? 'syntax' : 'disabled';
    return { kind: 'refused', error: new TargetError(code, 'unexpected target parameters') };
  }
  const target = policy.parse(raw[0]);
  if (target instanceof TargetError) return { kind: 'refused', error: target };
  return { kind: 'custom', target, entry: customEntry(target, config) };
}

/** The host entry a custom target runs as: id `custom`, named by its address. */
export function customEntry(target: CustomTarget, config: CustomTargetsConfig): HostEntry {
  const { protocol, encoding, newline } = config;
  const { host, port } = target;
  const name = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const hostConfig: HostConfig = {
    id: 'custom',
    name,
    target: `${protocol}://${name}`,
    encoding,
    newline,
    showAddress: true,
    rawTelnet: false,
    mnes: false,
  };
  return {
    config: hostConfig,
    target: { kind: protocol, host, port },
    protocol,
    // MUDs and BBSes over telnet read whole lines; raw TCP gets keystrokes (as hosts.ts).
    input: protocol === 'tcp' ? 'line' : 'raw',
    mssp: undefined,
  };
}

export interface CustomDialOptions {
  connectTimeoutMs: number;
  dnsTimeoutMs: number;
  signal: AbortSignal;
  lookup?: LookupFn;
}

/**
 * Resolves once, checks every answer, dials the pinned address and re-verifies the peer.
 * Rejects with BackendError, or TargetError when DNS led somewhere internal; the session
 * reports both as 1014 "backend unavailable", so a refusal after DNS is no oracle (B7).
 */
export async function dialCustom(
  config: CustomTargetsConfig,
  target: CustomTarget,
  options: CustomDialOptions,
): Promise<Socket> {
  const { connectTimeoutMs, dnsTimeoutMs, signal, lookup } = options;
  const resolveOptions = { dnsTimeoutMs, signal, ...(lookup === undefined ? {} : { lookup }) };
  const pinned = await policyFor(config).resolve(target, resolveOptions);
  return dialPinned(pinned, { connectTimeoutMs, dnsTimeoutMs, signal });
}

/**
 * The embedder's `lookup` (one address per name, as configured hosts use it) in the form the
 * custom-target policy asks for (every answer, so each can be checked): custom targets
 * resolve through it too. Nothing when the embedder gave none (the system resolver).
 */
export function customLookup(lookup: Lookup | undefined): { lookup?: LookupFn } {
  if (lookup === undefined) return {};
  return {
    lookup: async (hostname) => {
      const { address } = await lookup(hostname.replace(/\.$/, ''));
      return [{ address, family: isIPv6(address) ? 6 : 4 }];
    },
  };
}
