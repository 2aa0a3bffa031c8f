/** What a browser connection asks of its session, and how ws's protocol errors map to close codes. */
import type { ClientMessage } from '../../shared/protocol.ts';
import { CloseCode } from '../../shared/protocol.ts';

/** What the connection asks of its session. */
export interface ConnectionHost {
  readonly id: string;
  readonly clientIp: string;
  /** Terminal bytes from the browser. */
  input(data: Buffer): void;
  /** A valid control message other than ack and ping (resize, gmcp, msdp). */
  control(msg: ClientMessage): void;
  /** Any message from the browser (counts as activity). */
  touch(): void;
  /** Ends the session, sending a close frame with this code. */
  close(code: number, reason: string, cause: string): void;
  /** The WebSocket is gone or broken (no close frame to send): end the session. */
  lost(conn: unknown, code: number, reason: string, cause: string): void;
  /** Holds the backend (true) or releases the owner's hold; `open` is false before it connects. */
  holdBackend(on: boolean): void;
  readonly backendOpen: boolean;
}

export /** The close code ws sends when a peer breaks the protocol (ws keeps it on a private symbol). */
function wsErrorCloseCode(code: string | undefined): number {
  switch (code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
    case 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH':
      return CloseCode.TOO_BIG;
    case 'WS_ERR_TOO_MANY_BUFFERED_PARTS':
      return CloseCode.POLICY;
    case 'WS_ERR_INVALID_UTF8':
      return CloseCode.INVALID_DATA;
    default:
      return CloseCode.PROTOCOL_ERROR; // bad opcode, RSV bits, unmasked frame, ...
  }
}
