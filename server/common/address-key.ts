/**
 * The key a client address is counted under (lockout, upgrade rate, sessions per address),
 * remembered for the addresses seen lately.
 */
import ipaddr from 'ipaddr.js';

/** Keys of recently seen addresses, for one prefix length at a time. */
const recentKeys = new Map<string, string>();
let recentPrefix = -1;
/** Bounds the cache: cleared when full (about 300 KB at most). */
const RECENT_KEYS = 2048;
/** The longest IPv6 text with a zone; anything longer (junk) is not remembered. */
const MAX_CACHED_CHARS = 64;

/**
 * The key a client address is counted under (lockout, upgrade rate, sessions per address):
 * IPv4 as is (IPv4-mapped IPv6 as IPv4), IPv6 as its `/v6Prefix` network, since one
 * subscriber usually holds a whole /64 and could otherwise rotate through it. Remembered:
 * every session asks about seven times (connection cap, lockout, upgrade rate, auth,
 * capacity, registry in and out), and parsing was about 4 % of the proxy's set-up work.
 */
export function addressKey(ip: string, v6Prefix: number): string {
  if (v6Prefix !== recentPrefix) {
    recentKeys.clear();
    recentPrefix = v6Prefix;
  }
  let key = recentKeys.get(ip);
  if (key === undefined) {
    key = computeAddressKey(ip, v6Prefix);
    if (ip.length > MAX_CACHED_CHARS) return key;
    if (recentKeys.size >= RECENT_KEYS) recentKeys.clear();
    recentKeys.set(ip, key);
  }
  return key;
}

function computeAddressKey(ip: string, v6Prefix: number): string {
  if (!ipaddr.isValid(ip)) return ip;
  const addr = ipaddr.process(ip);
  if (addr.kind() === 'ipv4' || v6Prefix >= 128) return addr.toString();
  const bytes = addr.toByteArray();
  for (let bit = v6Prefix; bit < 128; bit++)
    bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) & ~(0x80 >> (bit & 7));
  return `${ipaddr.fromByteArray(bytes).toString()}/${v6Prefix}`;
}
