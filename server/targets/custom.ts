/**
 * Browser-chosen targets (`customTargets`, off by default): the parser
 * for `?target=host:port`, and the policy that resolves a name once, checks every answer
 * and pins the address that is dialled (SECURITY.md B1–B5, B7; README promise 1).
 */
import { ADDRCONFIG, type LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { type Classification, classify, endsInNumber, sameAddress } from '../common/address.ts';
import type { CustomTargetsConfig } from '../config/custom-targets-schema.ts';
import { BackendError, type DialOptions, dial } from './dial.ts';

export type TargetErrorCode = 'disabled' | 'syntax' | 'port' | 'host' | 'address';

/** A policy refusal. `message` is for logs only; browsers get {@link TARGET_REFUSED}. */
export class TargetError extends Error {
  override name = 'TargetError';
  readonly code: TargetErrorCode;
  /** The HTTP status when refused before the upgrade: 400 malformed or disabled, 403 denied. */
  readonly status: 400 | 403;
  constructor(code: TargetErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = code === 'syntax' || code === 'disabled' ? 400 : 403;
  }
}

/** The one reason a browser sees for any target refusal (B7: no oracle). */
export const TARGET_REFUSED = 'unknown target';

/** A syntactically valid, policy-approved `?target=`; `literal` is set for IP targets. */
export interface CustomTarget {
  /** Lower-case host name without trailing dot, or the canonical IP. */
  host: string;
  port: number;
  literal: Classification | undefined;
}

/** The checked address a session must dial, and nothing else (B4). */
export interface PinnedTarget {
  host: string;
  port: number;
  /** What to pass to connect(): the canonical IP, plus `%zone` for an allowed scoped literal. */
  address: string;
  classification: Classification;
}

export type LookupFn = (
  hostname: string,
  options: { all: true; hints: number },
) => Promise<LookupAddress[]>;

export interface ResolveOptions {
  dnsTimeoutMs: number;
  signal: AbortSignal;
  /** Defaults to `dns.promises.lookup` (getaddrinfo); tests inject a loopback resolver. */
  lookup?: LookupFn;
}

// RFC 3986 authority minus userinfo: `[v6]:port` or `name-or-v4:port`. No `%` (zones), `@`, `/`.
const TARGET_RE = /^(?:\[([0-9A-Fa-f:.]{2,45})\]|([A-Za-z0-9.-]{1,254})):([1-9][0-9]{0,4})$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// RFC 6761/6762/8375/7686 and ICANN's .internal: never a public MUD, often an internal one.
const SPECIAL_USE = ['localhost', 'local', 'internal', 'home.arpa', 'onion', 'invalid', 'test'];

/** `*`/`?` glob in O(pattern × name) steps: no regex, so no catastrophic backtracking. */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++mark;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

function isHostName(name: string): boolean {
  const labels = name.split('.');
  // Single-label names go through resolv.conf search domains (`redis` → redis.svc.cluster.local).
  return name.length <= 253 && labels.length >= 2 && labels.every((l) => LABEL.test(l));
}

/** Every address on this machine's interfaces, canonical (read on each check: DHCP moves them). */
function interfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) {
      const c = classify(a.address);
      if (c !== undefined) out.push(c.canonical);
    }
  return out;
}

/** The `customTargets` policy built from config; one per process. */
export class TargetPolicy {
  #config: CustomTargetsConfig;
  #allowed = new BlockList();
  readonly #ownAddresses: () => readonly string[];

  /** `ownAddresses` lists this machine's addresses (tests inject them). */
  constructor(
    config: CustomTargetsConfig,
    ownAddresses: () => readonly string[] = interfaceAddresses,
  ) {
    this.#config = config;
    this.#ownAddresses = ownAddresses;
    for (const e of config.allowAddresses)
      this.#allowed.addSubnet(e.address, e.prefix, e.family === 4 ? 'ipv4' : 'ipv6');
  }

  get enabled(): boolean {
    return this.#config.enabled;
  }

  /**
   * True when the address is public and not this machine's own (its public address would
   * reach services bound to all interfaces), or is listed in `allowAddresses`.
   */
  permits(c: Classification): boolean {
    if (this.#allowed.check(c.canonical, c.family === 4 ? 'ipv4' : 'ipv6')) return true;
    return c.kind === 'public' && !this.#ownAddresses().includes(c.canonical);
  }

  /** Parses and vets a `?target=host:port` value. Peer input: returns, never throws. */
  parse(raw: unknown): CustomTarget | TargetError {
    if (!this.#config.enabled) return new TargetError('disabled', 'custom targets are disabled');
    if (typeof raw !== 'string' || raw.length > 300)
      return new TargetError('syntax', 'target is not a short string');
    // IDN decision: ASCII only. Browsers send punycode (xn--) for IDNs; raw Unicode is refused
    // rather than mapped, so fullwidth digits or `。` can never become `127.0.0.1` (UTS #46).
    const m = TARGET_RE.exec(raw);
    if (m === null)
      return new TargetError('syntax', `target ${JSON.stringify(raw)} is not host:port`);
    const port = Number(m[3]);
    if (port > 65535) return new TargetError('syntax', `port ${port} is out of range`);
    if (!this.#config.ports.some(([lo, hi]) => port >= lo && port <= hi))
      return new TargetError('port', `port ${port} is not in customTargets.ports`);
    if (this.#config.denyPorts.some(([lo, hi]) => port >= lo && port <= hi))
      return new TargetError('port', `port ${port} is in customTargets.denyPorts`);
    const host = this.#host(m[1], m[2]);
    if (host instanceof TargetError) return host;
    if (host.literal !== undefined && !this.#config.allowIpLiterals)
      return new TargetError('host', 'IP literals are not allowed');
    const name = host.literal?.canonical ?? host.name;
    const matches = (p: string): boolean => globMatch(p, name);
    if (this.#config.denyHosts.some(matches) || !this.#config.allowHosts.some(matches))
      return new TargetError('host', `host ${name} is not allowed by customTargets patterns`);
    if (host.literal !== undefined && !this.permits(host.literal))
      return new TargetError('address', `${name} is ${host.literal.kind}`);
    return { host: name, port, literal: host.literal };
  }

  #host(
    bracketed: string | undefined,
    plain: string | undefined,
  ): { name: string; literal: Classification | undefined } | TargetError {
    if (bracketed !== undefined) {
      const literal = classify(bracketed);
      if (literal === undefined) return new TargetError('syntax', 'bad IPv6 literal');
      return { name: literal.canonical, literal };
    }
    const name = (plain ?? '').toLowerCase().replace(/\.$/, '');
    // A name whose last label is numeric is an IPv4 literal in some spelling, never DNS.
    if (endsInNumber(name)) {
      const literal = classify(name);
      return literal === undefined
        ? new TargetError('syntax', `${name} is not a valid IPv4 address`)
        : { name: literal.canonical, literal };
    }
    if (!isHostName(name)) return new TargetError('syntax', `${name} is not an RFC 1123 host name`);
    if (SPECIAL_USE.some((s) => name === s || name.endsWith(`.${s}`)))
      return new TargetError('host', `${name} is a special-use name`);
    return { name, literal: undefined };
  }

  /**
   * Resolves the name once (every A/AAAA answer), refuses if any answer is internal and not
   * in `allowAddresses` (a mixed answer is how rebinding looks), and pins the first answer.
   * Throws BackendError('dns' | 'aborted') or TargetError('address').
   */
  async resolve(target: CustomTarget, options: ResolveOptions): Promise<PinnedTarget> {
    if (options.signal.aborted) throw new BackendError('aborted', 'dial aborted');
    const answers =
      target.literal !== undefined ? [target.literal] : await this.#lookup(target.host, options);
    const denied = answers.find((c) => !this.permits(c));
    if (denied !== undefined)
      throw new TargetError('address', `${target.host} is ${denied.canonical} (${denied.kind})`);
    const chosen = answers[0];
    if (chosen === undefined) throw new BackendError('dns', `${target.host} has no addresses`);
    const zone = chosen.zone === undefined ? '' : `%${chosen.zone}`;
    return {
      host: target.host,
      port: target.port,
      address: `${chosen.canonical}${zone}`,
      classification: chosen,
    };
  }

  async #lookup(host: string, options: ResolveOptions): Promise<Classification[]> {
    const lookup: LookupFn = options.lookup ?? ((name, opts) => dnsLookup(name, opts));
    let timer: NodeJS.Timeout | undefined;
    let onAbort = (): void => {};
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new BackendError('dns', `DNS lookup of ${host} timed out`)),
        options.dnsTimeoutMs,
      );
      onAbort = () => reject(new BackendError('aborted', 'dial aborted'));
      options.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      // Trailing dot: an absolute name, so resolv.conf search domains never apply.
      const found = await Promise.race([
        lookup(`${host}.`, { all: true, hints: ADDRCONFIG }),
        guard,
      ]);
      return found.map((a) => {
        const c = classify(a.address);
        if (c === undefined) throw new BackendError('dns', `${host}: unparseable answer`);
        return c;
      });
    } catch (err) {
      if (err instanceof BackendError) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new BackendError('dns', `DNS lookup of ${host} failed: ${code}`, { cause: err });
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
    }
  }
}

export interface PinnedDialOptions extends Omit<DialOptions, 'host' | 'port'> {
  /** Defaults to backend.ts `dial`; tests inject one to observe or redirect the connect. */
  dial?: (options: DialOptions) => Promise<Socket>;
}

/**
 * Connects to exactly the pinned address (an IP literal, so no second DNS query) and
 * re-verifies `socket.remoteAddress`; a mismatch destroys the socket and throws
 * BackendError, which the session reports as 1014 (B4).
 */
export async function dialPinned(
  pinned: PinnedTarget,
  options: PinnedDialOptions,
): Promise<Socket> {
  const { dial: connect = dial, ...rest } = options;
  const socket = await connect({ ...rest, host: pinned.address, port: pinned.port });
  const peer = socket.remoteAddress ?? '';
  if (!sameAddress(peer, pinned.classification.canonical) || socket.remotePort !== pinned.port) {
    socket.destroy();
    throw new BackendError(
      'unreachable',
      `connected to ${peer}:${socket.remotePort}, expected ${pinned.address}:${pinned.port}`,
    );
  }
  return socket;
}
