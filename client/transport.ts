/** The browser's WebSocket behind connection.ts's Transport interface. */

import { WS_PATH } from '../shared/protocol.ts';
import type { ProbeResult, Transport, TransportFactory } from './connection.ts';
import { isProbeResult } from './connection-types.ts';
import { authHeaders, currentToken } from './session-token.ts';

export const webSocketTransport: TransportFactory = (url, protocols, handlers): Transport => {
  const ws = new WebSocket(url, [...protocols]);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => handlers.open();
  ws.onmessage = (event: MessageEvent<unknown>) => {
    const { data } = event;
    if (typeof data === 'string') handlers.text(data);
    else if (data instanceof ArrayBuffer) handlers.binary(new Uint8Array(data));
  };
  ws.onclose = (event: CloseEvent) => handlers.close(event.code, event.reason);
  return {
    send: (data) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(data);
    },
    close: (code, reason) => {
      ws.onopen = null;
      ws.onmessage = null;
      ws.onclose = null;
      ws.close(code, reason);
    },
  };
};

/**
 * The WebSocket URL for a host, on the page's own origin. `sr=1` tells the server a screen
 * reader is in use, so the telnet engine can set the MTTS screen-reader bit before it answers TTYPE.
 */
export function sessionUrl(
  hostId: string,
  screenReader: boolean,
  base: string = document.baseURI,
): string {
  const sr = screenReader ? '&sr=1' : '';
  const token = currentToken();
  const auth = token === undefined ? '' : `&token=${encodeURIComponent(token)}`;
  // WS_PATH relative to the page's <base href>, so a server under a basePath works too.
  const url = new URL(`${WS_PATH.slice(1)}?host=${encodeURIComponent(hostId)}${sr}${auth}`, base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/** Asks the server why a handshake failed: browsers report every refusal as 1006. */
export async function probeHost(hostId: string): Promise<ProbeResult> {
  try {
    const res = await fetch(`api/admit?host=${encodeURIComponent(hostId)}`, {
      cache: 'no-store',
      headers: authHeaders(),
    });
    if (!res.ok) return 'unreachable';
    const body: unknown = await res.json();
    const verdict =
      typeof body === 'object' && body !== null && 'verdict' in body ? body.verdict : undefined;
    return typeof verdict === 'string' && isProbeResult(verdict) ? verdict : 'refused';
  } catch {
    return 'unreachable';
  }
}
