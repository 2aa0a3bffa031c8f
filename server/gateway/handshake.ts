/**
 * RFC 6455 §4.2.1 request checks, done by the upgrade handler before authentication so
 * that a malformed handshake is one logged refusal (ws would otherwise answer it
 * silently after the gate). Mirrors what `ws` checks, and the subprotocol choice.
 */
import type { IncomingMessage } from 'node:http';
import { chooseSubprotocol } from '../../shared/protocol.ts';

export interface HandshakeProblem {
  status: 400;
  reason: string;
  headers?: Record<string, string>;
}

/** A 16-byte nonce in base64 (RFC 6455 §4.1), the same test ws applies. */
const KEY_RE = /^[+/0-9A-Za-z]{22}==$/;
/** RFC 7230 token characters, for subprotocol names. */
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_PROTOCOLS = 16;

/** Parses `Sec-WebSocket-Protocol` linearly; undefined when it is malformed. */
export function offeredProtocols(header: string | undefined): Set<string> | undefined {
  const offered = new Set<string>();
  if (header === undefined) return offered;
  const names = header.split(',');
  if (names.length > MAX_PROTOCOLS) return undefined;
  for (const raw of names) {
    const name = raw.trim();
    if (!TOKEN_RE.test(name) || offered.has(name)) return undefined;
    offered.add(name);
  }
  return offered;
}

/** What is wrong with this upgrade request as a WebSocket handshake, if anything. */
export function handshakeProblem(req: IncomingMessage): HandshakeProblem | undefined {
  if (req.headers.upgrade?.toLowerCase() !== 'websocket')
    return { status: 400, reason: 'not a WebSocket upgrade' };
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !KEY_RE.test(key))
    return { status: 400, reason: 'invalid Sec-WebSocket-Key' };
  const version = req.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') {
    return {
      status: 400,
      reason: 'unsupported WebSocket version',
      headers: { 'Sec-WebSocket-Version': '13' },
    };
  }
  const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
  if (offered === undefined) return { status: 400, reason: 'invalid Sec-WebSocket-Protocol' };
  // A browser fails a handshake whose 101 names none of its offers; say so before dialling.
  if (chooseSubprotocol(offered) === false)
    return { status: 400, reason: 'unsupported subprotocol' };
  return undefined;
}
