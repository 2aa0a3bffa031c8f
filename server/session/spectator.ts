/**
 * One read-only spectator of a shared session: a WebSocket that is a Viewer of the owner's
 * output. It never holds the backend: its own buffer is capped and a spectator that falls
 * behind is cut (4011) while the owner goes on. Its input is refused: terminal bytes and
 * anything but ping/ack/resize close it with 1008.
 */
import type { WebSocket } from 'ws';
import type { ServerMessage } from '../../shared/protocol.ts';
import {
  CloseCode,
  clampReason,
  decodeClient,
  encode,
  ProtocolError,
} from '../../shared/protocol.ts';
import type { Logger } from '../common/log.ts';
import type { Viewer } from './output.ts';

export interface SpectatorOptions {
  /** For log lines: the watched session and the spectator's address and user. */
  session: string;
  ip: string;
  user: string;
  /** Bytes queued for this spectator before it is cut (sharing.spectatorBufferBytes). */
  bufferBytes: number;
  closeTimeoutMs: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** Messages a spectator may send per second (limits.maxMessagesPerSecond); past it, 1008. */
  maxMessagesPerSecond: number;
  log: Logger;
  /** Called once when the spectator is gone, however it ended. */
  gone: (spectator: Spectator) => void;
}

const SEND_BINARY = { binary: true } as const;
/** The owner's rule too (connection.ts): an ack of at least this much is not a message. */
const PACED_ACK_BYTES = 16 * 1024;

export class Spectator implements Viewer {
  readonly ws: WebSocket;
  #opts: SpectatorOptions;
  #gone = false;
  #lastPing = Date.now();
  #awaitingPong = false;
  #killTimer: NodeJS.Timeout | undefined;
  #messages = 0;

  constructor(ws: WebSocket, opts: SpectatorOptions) {
    this.ws = ws;
    this.#opts = opts;
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('pong', () => {
      this.#awaitingPong = false;
    });
    ws.on('close', () => this.#finish());
    ws.on('error', (err: Error) => {
      opts.log.debug(
        { event: 'ws.error', session: opts.session, err: err.message },
        'spectator websocket error',
      );
      this.#finish();
      this.#armKillTimer();
    });
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    this.#awaitingPong = false;
    // A spectator has nothing to say beyond pings and acks: a flood is not slowed, it is cut.
    if (++this.#messages > this.#opts.maxMessagesPerSecond) {
      this.#refuse('too many messages');
      return;
    }
    if (isBinary) {
      this.#refuse('spectators cannot type');
      return;
    }
    const msg = decodeClient(data.toString('utf8'));
    if (msg instanceof ProtocolError) this.#refuse(`bad control message: ${msg.message}`);
    else if (msg.type === 'ping') this.send({ type: 'pong', t: msg.t });
    // Acks of a real amount are paced by the output itself (as for the owner): not counted.
    else if (msg.type === 'ack' && msg.bytes >= PACED_ACK_BYTES) this.#messages--;
    // Acks and sizes are what our client sends anyway; a spectator's say nothing to the host.
    else if (msg.type !== 'ack' && msg.type !== 'resize')
      this.#refuse(`spectators cannot send ${msg.type}`);
  }

  #refuse(reason: string): void {
    const { log, session, ip } = this.#opts;
    log.info({ event: 'spectator.refused', session, ip, reason }, 'spectator input refused');
    this.close(CloseCode.POLICY, reason);
  }

  /** Viewer: live output. Over the cap the spectator is cut; the owner never waits. */
  data(bytes: Uint8Array, _offset: number): void {
    const ws = this.ws;
    if (ws.readyState !== 1) return;
    if (ws.bufferedAmount + bytes.length > this.#opts.bufferBytes) {
      this.#slow();
      return;
    }
    ws.send(bytes, SEND_BINARY);
  }

  /** Viewer: echo, prompt, GMCP... as the owner gets them. */
  control(msg: ServerMessage): void {
    this.send(msg);
  }

  send(msg: ServerMessage): void {
    const ws = this.ws;
    if (ws.readyState !== 1) return;
    const text = encode(msg);
    if (ws.bufferedAmount + text.length > this.#opts.bufferBytes) this.#slow();
    else ws.send(text);
  }

  /** The first output (the replay), sent whatever the cap: it is at most sharing.replayBytes. */
  sendBytes(bytes: Uint8Array): void {
    if (this.ws.readyState === 1 && bytes.length > 0) this.ws.send(bytes, SEND_BINARY);
  }

  #slow(): void {
    const { log, session, ip, user } = this.#opts;
    log.info(
      { event: 'spectator.slow', session, ip, user, buffered: this.ws.bufferedAmount },
      'spectator cut: not keeping up',
    );
    this.close(CloseCode.SPECTATOR_SLOW, 'too far behind the session');
  }

  /** Heartbeat from the share registry's tick; false once the spectator is gone. */
  tick(now: number): boolean {
    if (this.#gone) return false;
    this.#messages = 0;
    const { heartbeatIntervalMs, heartbeatTimeoutMs } = this.#opts;
    if (this.#awaitingPong && now - this.#lastPing >= heartbeatTimeoutMs) {
      this.ws.terminate();
      this.#finish();
      return false;
    }
    if (
      !this.#awaitingPong &&
      heartbeatIntervalMs > 0 &&
      now - this.#lastPing >= heartbeatIntervalMs
    ) {
      this.#lastPing = now;
      this.#awaitingPong = true;
      this.ws.ping();
    }
    return true;
  }

  /** Close frame (cut if the peer never answers), and gone at once. */
  close(code: number, reason: string): void {
    const ws = this.ws;
    if (ws.readyState === 0 || ws.readyState === 1) {
      ws.close(code, clampReason(reason));
      this.#armKillTimer();
    }
    this.#finish();
  }

  #finish(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#opts.gone(this);
  }

  #armKillTimer(): void {
    if (this.#killTimer !== undefined) return;
    const ws = this.ws;
    this.#killTimer = setTimeout(() => ws.terminate(), this.#opts.closeTimeoutMs);
    this.#killTimer.unref();
    ws.once('close', () => clearTimeout(this.#killTimer));
  }
}
