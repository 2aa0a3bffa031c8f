/**
 * IP address canonicalisation and classification for browser-chosen targets (SECURITY.md
 * B3, B5). Every spelling the OS resolver would accept is turned into bytes, and the bytes,
 * never the spelling, decide the class. The canonical string is the only thing ever dialled.
 */
import { isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

/** What an address is, as far as a public "connect to any MUD" proxy is concerned. */
export type AddressKind =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link-local'
  | 'metadata'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved';

/** The result of {@link classify}: canonical form, bytes and class of one IP literal. */
export interface Classification {
  /** Dotted-decimal IPv4 or RFC 5952 IPv6 without zone. IPv4-mapped IPv6 becomes IPv4. */
  canonical: string;
  family: 4 | 6;
  bytes: Uint8Array;
  kind: AddressKind;
  /** The IPv4 address carried inside a NAT64, 6to4, Teredo, SIIT or IPv4-compatible address. */
  embedded?: string;
  /** RFC 4007 zone of a scoped literal (`fe80::1%eth0`); not part of `canonical`. */
  zone?: string;
}

type Rule<A> = readonly [range: [A, number], kind: AddressKind];

function v4Rules(table: ReadonlyArray<readonly [string, AddressKind]>): Rule<ipaddr.IPv4>[] {
  return table.map(([cidr, kind]) => [ipaddr.IPv4.parseCIDR(cidr), kind]);
}

function v6Rules(table: ReadonlyArray<readonly [string, AddressKind]>): Rule<ipaddr.IPv6>[] {
  return table.map(([cidr, kind]) => [ipaddr.IPv6.parseCIDR(cidr), kind]);
}

// First match wins, so the narrow metadata entries come before the ranges that hold them.
// Sources: IANA IPv4/IPv6 Special-Purpose Address Registries (RFC 6890) and cloud docs.
const V4_RULES = v4Rules([
  ['0.0.0.0/32', 'unspecified'], // Linux connects 0.0.0.0 to the local host
  ['0.0.0.0/8', 'reserved'], // RFC 1122 "this network"
  ['10.0.0.0/8', 'private'], // RFC 1918
  ['100.100.100.200/32', 'metadata'], // Alibaba Cloud instance metadata
  ['100.64.0.0/10', 'cgnat'], // RFC 6598 shared address space
  ['127.0.0.0/8', 'loopback'],
  ['168.63.129.16/32', 'metadata'], // Azure WireServer: publicly routed block, platform-internal
  ['169.254.169.254/32', 'metadata'], // AWS, GCP, Azure, OpenStack, OCI IMDS
  ['169.254.170.2/32', 'metadata'], // AWS ECS task credentials
  ['169.254.170.23/32', 'metadata'], // AWS EKS Pod Identity
  ['169.254.0.0/16', 'link-local'], // RFC 3927
  ['172.16.0.0/12', 'private'],
  ['192.0.0.192/32', 'metadata'], // Oracle Cloud legacy IMDS
  ['192.0.0.0/24', 'reserved'], // RFC 6890 IETF protocol assignments
  ['192.0.2.0/24', 'documentation'], // RFC 5737 TEST-NET-1
  ['192.88.99.0/24', 'reserved'], // RFC 7526 deprecated 6to4 relay anycast
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'], // RFC 2544
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'], // RFC 1112 class E
]);

// Checked before the embedding table: both sit inside ::/96.
const V6_HEAD = v6Rules([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
]);

const V6_RULES = v6Rules([
  ['64:ff9b:1::/48', 'private'], // RFC 8215 local-use NAT64
  ['100::/64', 'reserved'], // RFC 6666 discard-only
  ['2001:2::/48', 'benchmarking'], // RFC 5180
  ['2001::/23', 'reserved'], // RFC 2928 IETF protocol assignments (ORCHID etc.)
  ['2001:db8::/32', 'documentation'], // RFC 3849
  ['3fff::/20', 'documentation'], // RFC 9637
  ['5f00::/16', 'reserved'], // RFC 9602 SRv6 SIDs
  ['fd00:ec2::254/128', 'metadata'], // AWS IMDS over IPv6
  ['fd00:ec2::23/128', 'metadata'], // AWS EKS Pod Identity over IPv6
  ['fd20:ce::254/128', 'metadata'], // GCP metadata over IPv6
  ['fc00::/7', 'private'], // RFC 4193 unique local
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'], // RFC 3879 deprecated site-local
  ['ff00::/8', 'multicast'],
]);

const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

/**
 * IPv6 ranges that carry an IPv4 address. The class is the embedded address's class when
 * that is internal: `64:ff9b::7f00:1` reaches 127.0.0.1 through a NAT64 gateway, and
 * `2002:7f00:1::` is 6to4 for 127.0.0.1. `fallback` applies when the IPv4 part is public.
 */
const EMBEDDING: ReadonlyArray<{
  range: [ipaddr.IPv6, number];
  fallback: AddressKind;
  extract: (b: Uint8Array) => Uint8Array[];
}> = [
  // RFC 6052 well-known NAT64 prefix: live on IPv6-only hosts with DNS64, so public is public.
  {
    range: ipaddr.IPv6.parseCIDR('64:ff9b::/96'),
    fallback: 'public',
    extract: (b) => [b.slice(12)],
  },
  // RFC 7915 (SIIT) IPv4-translated, then RFC 4291 §2.5.5.1 deprecated IPv4-compatible.
  {
    range: ipaddr.IPv6.parseCIDR('::ffff:0:0:0/96'),
    fallback: 'reserved',
    extract: (b) => [b.slice(12)],
  },
  { range: ipaddr.IPv6.parseCIDR('::/96'), fallback: 'reserved', extract: (b) => [b.slice(12)] },
  // RFC 3056 6to4: 2002:AABB:CCDD::/48.
  {
    range: ipaddr.IPv6.parseCIDR('2002::/16'),
    fallback: 'public',
    extract: (b) => [b.slice(2, 6)],
  },
  // RFC 4380 Teredo: server IPv4 in bits 32–63, client IPv4 inverted in the last 32 bits.
  // Inside 2001::/23 and effectively retired, so never public.
  {
    range: ipaddr.IPv6.parseCIDR('2001::/32'),
    fallback: 'reserved',
    extract: (b) => [b.slice(4, 8), b.slice(12).map((x) => x ^ 0xff)],
  },
];

const V4_PART = /^(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;
const MAX_LITERAL_CHARS = 100;

/**
 * Parses IPv4 the way inet_aton(3) does (getaddrinfo accepts these as host names): 1–4
 * dot-separated parts, each decimal, octal (leading 0) or hex (0x); the last part fills
 * the remaining bytes, so `127.1`, `2130706433`, `0x7f.1` and `017700000001` are all
 * 127.0.0.1. Hand-written because ipaddr.js is not the OS: it misreads the IPv4 tail of
 * `::a.b.c.d` and we want glibc's exact rules here, not a library's approximation.
 */
export function parseIPv4(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > MAX_LITERAL_CHARS) return undefined;
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    if (!V4_PART.test(part)) return undefined;
    if (/^0[xX]/.test(part)) values.push(Number.parseInt(part.slice(2), 16));
    else if (part.length > 1 && part.startsWith('0')) values.push(Number.parseInt(part, 8));
    else values.push(Number.parseInt(part, 10));
  }
  const last = values.pop() ?? 0;
  if (values.some((v) => v > 0xff)) return undefined;
  const lastBytes = 4 - values.length;
  if (last >= 2 ** (8 * lastBytes)) return undefined;
  const out = new Uint8Array(4);
  out.set(values);
  for (let i = 3, v = last; i >= values.length; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

/**
 * True when a host name's last label is a number (WHATWG URL "ends in a number"): such a
 * name is an IPv4 literal in some spelling and must never reach DNS as a name, because
 * getaddrinfo would read `0x7f.1` as 127.0.0.1 behind the policy's back.
 */
export function endsInNumber(host: string): boolean {
  const labels = (host.endsWith('.') ? host.slice(0, -1) : host).split('.');
  return /^(?:[0-9]+|0[xX][0-9a-fA-F]*)$/.test(labels.at(-1) ?? '');
}

const ZONE = /^[A-Za-z0-9_.-]{1,32}$/;
const DOTTED_TAIL =
  /^(.*:)((?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})$/;

function parseIPv6(text: string): { bytes: Uint8Array; zone: string | undefined } | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const pct = bare.indexOf('%');
  const address = pct === -1 ? bare : bare.slice(0, pct);
  const zone = pct === -1 ? undefined : bare.slice(pct + 1);
  if (zone !== undefined && !ZONE.test(zone)) return undefined;
  // Node's isIPv6 follows inet_pton(3), the parser the OS uses for these literals.
  if (address.length > MAX_LITERAL_CHARS || !isIPv6(address)) return undefined;
  // ipaddr.js 2.5 turns `::1.2.3.4` into `::ffff:1.2.3.4`; give it hex groups instead.
  const tail = DOTTED_TAIL.exec(address);
  const hex =
    tail?.[1] !== undefined && tail[2] !== undefined
      ? `${tail[1]}${dottedToHex(tail[2])}`
      : address;
  try {
    return { bytes: Uint8Array.from(ipaddr.IPv6.parse(hex).toByteArray()), zone };
  } catch {
    return undefined;
  }
}

function dottedToHex(dotted: string): string {
  const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

function kindOfV4(bytes: Uint8Array): AddressKind {
  const addr = new ipaddr.IPv4([...bytes]);
  for (const [range, kind] of V4_RULES) if (addr.match(range)) return kind;
  return 'public';
}

function classifyV4(bytes: Uint8Array): Classification {
  return { canonical: bytes.join('.'), family: 4, bytes, kind: kindOfV4(bytes) };
}

function classifyV6(bytes: Uint8Array, zone: string | undefined): Classification {
  const parts = Array.from(
    { length: 8 },
    (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0),
  );
  const addr = new ipaddr.IPv6(parts);
  // RFC 4291 §2.5.5.2: the OS sends ::ffff:a.b.c.d as plain IPv4, so it *is* that address.
  if (addr.isIPv4MappedAddress()) return classifyV4(bytes.slice(12));
  const out: Classification = {
    canonical: addr.toRFC5952String(),
    family: 6,
    bytes,
    kind: 'public',
  };
  if (zone !== undefined) out.zone = zone;
  out.kind = kindOfV6(addr, bytes, out);
  return out;
}

function kindOfV6(addr: ipaddr.IPv6, bytes: Uint8Array, out: Classification): AddressKind {
  for (const [range, kind] of V6_HEAD) if (addr.match(range)) return kind;
  for (const { range, fallback, extract } of EMBEDDING) {
    if (!addr.match(range)) continue;
    const inner = extract(bytes);
    out.embedded = inner.map((b) => b.join('.')).join(',');
    const internal = inner.map(kindOfV4).find((k) => k !== 'public');
    return internal ?? fallback;
  }
  for (const [range, kind] of V6_RULES) if (addr.match(range)) return kind;
  return addr.match(GLOBAL_UNICAST_V6) ? 'public' : 'reserved';
}

/**
 * Canonicalises and classifies one IP literal in any spelling the OS accepts (IPv4
 * inet_aton forms, IPv6 with optional brackets and zone). Returns undefined for anything
 * that is not an IP literal; never throws.
 */
export function classify(address: string): Classification | undefined {
  if (typeof address !== 'string' || address.length > MAX_LITERAL_CHARS + 34) return undefined;
  if (!address.startsWith('[')) {
    const v4 = parseIPv4(address);
    if (v4 !== undefined) return classifyV4(v4);
  }
  const v6 = parseIPv6(address);
  return v6 === undefined ? undefined : classifyV6(v6.bytes, v6.zone);
}

/** True unless `address` is a public unicast IP literal (fails closed for non-literals). */
export function isInternal(address: string): boolean {
  return classify(address)?.kind !== 'public';
}

/** True when two literals name the same address (zones and spelling ignored). */
export function sameAddress(a: string, b: string): boolean {
  const x = classify(a);
  const y = classify(b);
  return x !== undefined && y !== undefined && x.family === y.family && x.canonical === y.canonical;
}

/** An address or CIDR from config (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`), canonicalised. */
export function parseCidr(
  text: string,
): { address: string; family: 4 | 6; prefix: number } | undefined {
  const [addr = '', bits, ...rest] = text.trim().split('/');
  const c = classify(addr);
  if (c === undefined || rest.length > 0 || c.zone !== undefined) return undefined;
  const max = c.family === 4 ? 32 : 128;
  // An IPv4-mapped CIDR would silently change its prefix length; ask for the IPv4 form.
  if (bits !== undefined && c.family === 4 && addr.includes(':')) return undefined;
  const prefix = bits === undefined ? max : /^[0-9]{1,3}$/.test(bits) ? Number(bits) : -1;
  if (prefix < 0 || prefix > max) return undefined;
  return { address: c.canonical, family: c.family, prefix };
}
