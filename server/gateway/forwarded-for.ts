/**
 * The client address of a relayed upgrade (forward.ts). The instance that relays a request
 * connects from its own address, so it says who the client is in `X-Porthole-Forwarded-For:
 * IP TRUSTED TIME SIGNATURE`: the address it determined, whether that client's peer was a
 * trusted proxy (its X-Forwarded-For and proxy headers may be believed), the time in ms and
 * an HMAC-SHA256 of those and the request line, keyed with a secret that every instance reads
 * from the store. The owner believes it only when the signature holds and the time is within
 * FRESH_MS; the header's presence also marks the request as relayed once (never again).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const FORWARDED_HEADER = 'x-porthole-forwarded-for';
/** How far the sender's clock may be from ours (and how long a captured header is good). */
export const FRESH_MS = 30_000;

export interface RelayedClient {
  ip: string;
  /** The client's own peer was a trusted proxy at the relaying instance. */
  trusted: boolean;
}

const verified = new WeakMap<IncomingMessage, RelayedClient>();

function mac(key: Buffer, fields: string, target: string): string {
  return createHmac('sha256', key).update(`${fields}\n${target}`).digest('base64url');
}

/** The header value for relaying `req` on behalf of `client`. */
export function signForwarded(
  key: Buffer,
  req: IncomingMessage,
  client: RelayedClient,
  now = Date.now(),
): string {
  const fields = `${client.ip} ${client.trusted ? 1 : 0} ${now}`;
  return `${fields} ${mac(key, fields, `${req.method ?? 'GET'} ${req.url ?? '/'}`)}`;
}

/**
 * Checks `req`'s header: `absent`, `ok` (then relayedClient(req) answers), or why it is
 * refused (`unsigned` when there is no key to check it with).
 */
export function verifyForwarded(
  key: Buffer | undefined,
  req: IncomingMessage,
  now = Date.now(),
): 'absent' | 'ok' | 'malformed' | 'stale' | 'bad-signature' | 'unsigned' {
  const value = req.headers[FORWARDED_HEADER];
  if (value === undefined) return 'absent';
  if (typeof value !== 'string') return 'malformed';
  const m = /^(\S{1,64}) ([01]) (\d{1,15}) ([A-Za-z0-9_-]{43})$/.exec(value);
  if (m === null) return 'malformed';
  const [, ip = '', trusted, time, sig = ''] = m;
  if (key === undefined) return 'unsigned';
  if (Math.abs(now - Number(time)) > FRESH_MS) return 'stale';
  const want = Buffer.from(mac(key, `${ip} ${trusted} ${time}`, `${req.method} ${req.url}`));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return 'bad-signature';
  verified.set(req, { ip, trusted: trusted === '1' });
  return 'ok';
}

/** The client a verified relayed request was made for, if it is one. */
export function relayedClient(req: IncomingMessage): RelayedClient | undefined {
  return verified.get(req);
}
