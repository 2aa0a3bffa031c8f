/**
 * Which host a websockify-style client gets: it names none, so `?token=` is looked up in
 * the token file (websockify's TokenFile plugin), and without a token the default host
 * (`porthole PORT HOST:PORT`) is used.
 */
import type { WebsockifyConfig } from '../config/websockify-schema.ts';
import type { HostCatalogue, HostEntry } from './catalogue.ts';
import { lookupToken, tokenEntry } from './token-file.ts';

export type WebsockifyChoice =
  | { entry: HostEntry; detail?: undefined }
  | { entry?: undefined; detail: string };

export async function websockifyEntry(
  config: WebsockifyConfig,
  params: URLSearchParams,
  hosts: HostCatalogue,
): Promise<WebsockifyChoice> {
  const token = params.get('token');
  if (config.tokenSource !== undefined && token !== null) {
    let found: Awaited<ReturnType<typeof lookupToken>>;
    try {
      found = await lookupToken(config.tokenSource, token.trimEnd());
    } catch (err) {
      return { detail: `token source unreadable: ${(err as Error).message}` };
    }
    const bad =
      found.badLines.length === 0 ? '' : `; bad lines ${found.badLines.slice(0, 5).join(', ')}`;
    if (found.target === undefined) return { detail: `unknown token${bad}` };
    return { entry: tokenEntry(found.target) };
  }
  const entry = config.defaultHost === undefined ? undefined : hosts.get(config.defaultHost);
  return entry === undefined ? { detail: 'no host, token or default host' } : { entry };
}
