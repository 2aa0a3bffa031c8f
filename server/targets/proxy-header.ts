/**
 * The HAProxy PROXY protocol header (haproxy.org/download/2.9/doc/proxy-protocol.txt),
 * versions 1 (text) and 2 (binary), carrying the browser's address as Porthole determined
 * it (through `trustedProxies`). Written by hand: it is a few fixed fields, and the npm
 * packages for it are parsers for the receiving side.
 */
import ipaddr from 'ipaddr.js';
import { type Classification, classify } from '../common/address.ts';

export type ProxyVersion = 'v1' | 'v2';

/** One end of the proxied connection: an address as text and a port (0 when unknown). */
export interface Endpoint {
  address: string;
  port: number;
}

const V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
const V2_PROXY = 0x21; // version 2, command PROXY
const V2_LOCAL = 0x20; // version 2, command LOCAL: no address to give
const V2_TCP4 = 0x11;
const V2_TCP6 = 0x21;

interface Pair {
  family: 4 | 6;
  source: Uint8Array;
  destination: Uint8Array;
}

/**
 * Both addresses in one family, as the protocol requires: the source's family wins, and a
 * destination that cannot be written in it becomes that family's unspecified address.
 */
function pair(source: Classification, destination: Classification | undefined): Pair {
  if (source.family === 4) {
    const dst = destination?.family === 4 ? destination.bytes : new Uint8Array(4);
    return { family: 4, source: source.bytes, destination: dst };
  }
  let dst = new Uint8Array(16);
  if (destination?.family === 6) dst = Uint8Array.from(destination.bytes);
  else if (destination !== undefined) {
    dst[10] = 0xff; // IPv4-mapped IPv6 (RFC 4291 §2.5.5.2)
    dst[11] = 0xff;
    dst.set(destination.bytes, 12);
  }
  return { family: 6, source: source.bytes, destination: dst };
}

function v1Address(bytes: Uint8Array, family: 4 | 6): string {
  if (family === 4) return bytes.join('.');
  return new ipaddr.IPv6([...bytes]).toRFC5952String();
}

function v1(p: Pair | undefined, sport: number, dport: number): Buffer {
  if (p === undefined) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  const src = v1Address(p.source, p.family);
  const dst = v1Address(p.destination, p.family);
  return Buffer.from(`PROXY TCP${p.family} ${src} ${dst} ${sport} ${dport}\r\n`, 'latin1');
}

function v2(p: Pair | undefined, sport: number, dport: number): Buffer {
  if (p === undefined) return Buffer.concat([V2_SIGNATURE, Uint8Array.of(V2_LOCAL, 0, 0, 0)]);
  const addressBytes = p.family === 4 ? 12 : 36;
  const out = Buffer.alloc(16 + addressBytes);
  V2_SIGNATURE.copy(out, 0);
  out[12] = V2_PROXY;
  out[13] = p.family === 4 ? V2_TCP4 : V2_TCP6;
  out.writeUInt16BE(addressBytes, 14);
  out.set(p.source, 16);
  out.set(p.destination, 16 + p.source.length);
  out.writeUInt16BE(sport, 16 + 2 * p.source.length);
  out.writeUInt16BE(dport, 18 + 2 * p.source.length);
  return out;
}

/**
 * The header announcing `source` (the browser) connecting to `destination` (the backend
 * as dialled). A source that is no IP address (no socket address at all) is sent as
 * `UNKNOWN` (v1) or `LOCAL` (v2), which receivers treat as "use the real peer".
 */
export function proxyHeader(
  version: ProxyVersion,
  source: Endpoint,
  destination: Endpoint,
): Buffer {
  const src = classify(source.address);
  const p = src === undefined ? undefined : pair(src, classify(destination.address));
  const sport = clampPort(source.port);
  const dport = clampPort(destination.port);
  return version === 'v1' ? v1(p, sport, dport) : v2(p, sport, dport);
}

function clampPort(port: number): number {
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? port : 0;
}
