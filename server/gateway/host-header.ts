/**
 * The Host-header rule (DNS-rebinding defence, SECURITY.md A5), written once: the upgrade
 * gate and the HTTP routes ask it, and the start-up warning derives from it.
 */
import { type Config, isLoopbackName } from '../config/config.ts';

export interface HostRule {
  /** Whether a request with this Host header may be served. */
  allows(header: string | undefined): boolean;
  /** True when nothing names the server (public listener, no publicUrl or allowedHosts). */
  readonly acceptsAny: boolean;
}

/** RFC 9110 Host: a name, IPv4 or bracketed IPv6, then at most a numeric port. */
const HOST_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::[0-9]{1,5})?$/;

/** `[::1]:8080` → `[::1]`; `example.org:443` → `example.org`; `127.0.0.1:1@evil` → none. */
function hostName(header: string): string | undefined {
  return HOST_RE.exec(header)?.[1];
}

export function createHostRule(config: Readonly<Config>): HostRule {
  const names = new Set(config.allowedHosts.map((h) => h.toLowerCase()));
  if (config.publicUrl !== undefined) names.add(new URL(config.publicUrl).hostname.toLowerCase());
  if (isLoopbackName(config.listen.host) || config.listen.host === 'localhost') {
    for (const n of ['localhost', '127.0.0.1', '[::1]']) names.add(n);
  }
  // Listening on a public address with nothing configured: any Host (warned about at start).
  if (names.size === 0)
    return {
      allows: (header) => header !== undefined && hostName(header) !== undefined,
      acceptsAny: true,
    };
  return {
    allows: (header) => {
      const name = header === undefined ? undefined : hostName(header);
      return name !== undefined && names.has(name.toLowerCase());
    },
    acceptsAny: false,
  };
}
