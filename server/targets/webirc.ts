/**
 * IRCv3 WEBIRC (ircv3.net/specs/extensions/webirc): the first line a web gateway sends, so
 * the IRC server shows and bans the player's address instead of Porthole's.
 */
import { classify } from '../common/address.ts';
import type { WebircConfig } from '../config/backend-schema.ts';

/**
 * `WEBIRC password gateway hostname ip\r\n`. Porthole does no reverse lookups, so the
 * hostname is the address too (the spec allows it). An IPv6 address starting with ':'
 * would begin an IRC trailing parameter: the spec says to prefix it with '0'. Returns
 * undefined when the address is no IP address (nothing to vouch for).
 */
export function webircLine(config: WebircConfig, clientIp: string): Buffer | undefined {
  const canonical = classify(clientIp)?.canonical;
  if (canonical === undefined) return undefined;
  const ip = canonical.startsWith(':') ? `0${canonical}` : canonical;
  return Buffer.from(`WEBIRC ${config.password} ${config.gateway} ${ip} ${ip}\r\n`, 'latin1');
}
