import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../common/log.ts';
import { refuse } from '../gateway/refuse.ts';

/**
 * Node's own refusals (408 headers too slow, 431 headers too large, 400 malformed) answered
 * as Node would, with one log line each (SECURITY.md C1–C4, F1).
 */
export function onClientError(log: Logger) {
  return (err: NodeJS.ErrnoException, socket: Duplex): void => {
    const ip = (socket as Socket).remoteAddress;
    // Like Node's default: never write into a response that has already started.
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
      log.debug({ event: 'http.aborted', ip, code: err.code }, 'client went away mid-request');
      socket.destroy();
      return;
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 408
          : 400;
    log.info({ event: 'http.refused', status, code: err.code, ip }, 'bad HTTP request');
    refuse(socket, status, status === 408 ? 'request timeout\n' : 'bad request\n');
  };
}
