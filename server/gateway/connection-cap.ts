/**
 * Connections per client address at the TCP level, before HTTP (SECURITY.md H9): slow
 * request bodies and idle keep-alives from one address could otherwise hold every
 * descriptor the process has. WebSocket sessions are connections too, so the cap sits
 * above `maxSessionsPerIp`. A trusted proxy's connections carry many clients and are not
 * counted (its clients are still limited by address after X-Forwarded-For).
 */
import type { Server, Socket } from 'node:net';
import type { Logger } from '../common/log.ts';

export interface ConnectionCapOptions {
  max: number;
  /** What an address is counted under (IPv6 by prefix). */
  keyOf: (ip: string) => string;
  /** True for a direct peer that is a configured trusted proxy. */
  trusted: (ip: string) => boolean;
  log: Logger;
}

/** Counts live connections per address on `server`; past `max`, a new one is closed at once. */
export function capConnectionsPerAddress(server: Server, opts: ConnectionCapOptions): void {
  const live = new Map<string, number>();
  let refused = 0;
  let loggedAt = 0;
  // One listener for every connection: a once() wrapper, its bound function and a closure
  // per connection were about 200 bytes of every held session (heap snapshot diff).
  const counted = new WeakMap<Socket, string>();
  function onClose(this: Socket): void {
    const key = counted.get(this);
    if (key === undefined) return;
    counted.delete(this);
    const left = (live.get(key) ?? 1) - 1;
    if (left <= 0) live.delete(key);
    else live.set(key, left);
  }
  server.on('connection', (socket) => {
    const ip = socket.remoteAddress;
    if (ip === undefined || opts.trusted(ip)) return;
    const key = opts.keyOf(ip);
    const n = (live.get(key) ?? 0) + 1;
    if (n > opts.max) {
      refused++;
      socket.destroy();
      // One line a second at most, with a count: the refusals themselves are the flood.
      const now = Date.now();
      if (now - loggedAt >= 1000) {
        loggedAt = now;
        opts.log.info(
          { event: 'http.refused', reason: 'too many connections', ip, count: refused },
          'connections per address over the cap',
        );
        refused = 0;
      }
      return;
    }
    live.set(key, n);
    counted.set(socket, key);
    socket.on('close', onClose);
  });
}
