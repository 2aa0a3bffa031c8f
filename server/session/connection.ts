/**
 * The browser half of a session: one WebSocket. Reads and validates the browser's messages
 * (message and byte rates, pause while input must wait), runs the heartbeat, and is the
 * owner's viewer of the session's output: it sends the bytes, keeps the ack window, and holds
 * the backend (Hold.OWNER) while the browser is behind. Flow control follows the owner only.
 */
import type { WebSocket } from 'ws';
import { AckWindow, countsInWindow } from '../../shared/flow-control.ts';
import type { ServerMessage } from '../../shared/protocol.ts';
import {
  CloseCode,
  clampReason,
  decodeClient,
  encode,
  ProtocolError,
} from '../../shared/protocol.ts';
import type { Logger } from '../common/log.ts';
import type { LimitsConfig } from '../config/config.ts';
import { type ConnectionHost, wsErrorCloseCode } from './connection-host.ts';
import type { Viewer } from './output.ts';

export type { ConnectionHost } from './connection-host.ts';

/** An ack covering at least this much is not counted as a message (see #onMessage). */
const PACED_ACK_BYTES = 16 * 1024;
const SEND_BINARY = { binary: true } as const;
const connections = new WeakMap<WebSocket, BrowserConnection>();

function onPong(this: WebSocket): void {
  connections.get(this)?.ponged();
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  connections.get(this)?.wsClosed(code, reason);
}

function onError(this: WebSocket, err: Error & { code?: string }): void {
  connections.get(this)?.wsFailed(err);
}

export class BrowserConnection implements Viewer {
  readonly ws: WebSocket;
  #host: ConnectionHost;
  #limits: LimitsConfig;
  #log: Logger;
  #v1: boolean;
  #window: AckWindow;
  #holding = false;
  #inputOpen = true;
  #throttled = false;
  /** The first throttle of a session is logged, the rest are not (a drag throttles often). */
  #throttleLogged = false;
  #reading = true;
  #closed = false;
  #lastPing = Date.now();
  #awaitingPong = false;
  #killTimer: NodeJS.Timeout | undefined;
  #messagesThisSecond = 0;
  #bytesThisSecond = 0;

  constructor(ws: WebSocket, v1: boolean, host: ConnectionHost, limits: LimitsConfig, log: Logger) {
    this.ws = ws;
    this.#v1 = v1;
    this.#host = host;
    this.#limits = limits;
    this.#log = log;
    this.#window = new AckWindow(limits.highWaterBytes, limits.lowWaterBytes);
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#guard(data, isBinary));
    // Rarer events: listeners shared by all connections, found through `connections` (a
    // closure each was ~40 B of every held session).
    connections.set(ws, this);
    ws.on('pong', onPong);
    ws.on('close', onClose);
    ws.on('error', onError);
  }

  ponged(): void {
    this.#awaitingPong = false;
  }

  wsClosed(code: number, reason: Buffer): void {
    clearTimeout(this.#killTimer);
    this.#host.lost(this, code, reason.toString('utf8'), 'client-close');
  }

  wsFailed(err: Error & { code?: string }): void {
    const host = this.#host;
    this.#log.debug({ event: 'ws.error', session: host.id, err: err.message }, 'websocket error');
    host.lost(this, wsErrorCloseCode(err.code), err.message, 'client-error');
    // ws has queued a close frame with that code and stops reading; terminating now would
    // lose it (the client would see 1006): cut only if the peer does not finish the close.
    this.#armKillTimer();
  }

  /** Bytes sent and not acknowledged yet (data and control): the browser may lack them. */
  get unacked(): number {
    return this.#window.unacked;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  #guard(data: Buffer, isBinary: boolean): void {
    try {
      this.#onMessage(data, isBinary);
    } catch (err) {
      this.#log.error(
        { event: 'session.error', session: this.#host.id, err },
        'session handler threw',
      );
      this.#host.close(CloseCode.INTERNAL, 'internal error', 'internal');
    }
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    // A connection the session let go of (detached, taken over) has no say any more.
    if (this.#closed) return;
    this.#host.touch();
    this.#awaitingPong = false;
    this.#countMessage();
    if (!this.#v1) {
      // websockify's binary mode relays text frames as bytes too. No byte budget: VNC and
      // other binary protocols are paced by the backend's backpressure alone.
      this.#host.input(data);
      return;
    }
    this.#bytesThisSecond += data.length;
    // A big paste is legitimate: slow it down (stop reading until the next tick), lose nothing.
    if (this.#bytesThisSecond >= this.#limits.maxBytesPerSecond) this.#throttle('bytes');
    if (isBinary) {
      this.#host.input(data);
      return;
    }
    const msg = decodeClient(data.toString('utf8'));
    if (msg instanceof ProtocolError) {
      this.#log.warn(
        {
          event: 'session.bad-message',
          session: this.#host.id,
          ip: this.#host.clientIp,
          detail: msg.message,
        },
        'bad control message',
      );
      this.#host.close(CloseCode.POLICY, `bad control message: ${msg.message}`, 'bad-message');
      return;
    }
    // Acks of a real amount are paced by the data itself (each must cover bytes not yet
    // acknowledged), so a fast download does not count against the message rate.
    if (msg.type === 'ack' && msg.bytes >= PACED_ACK_BYTES) this.#messagesThisSecond--;
    if (msg.type === 'ack') {
      if (!this.#window.ack(msg.bytes)) {
        this.#host.close(CloseCode.POLICY, 'acknowledged more bytes than were sent', 'bad-ack');
      } else if (this.#holding) this.#maybeRelease();
    } else if (msg.type === 'ping') {
      this.send({ type: 'pong', t: msg.t });
    } else this.#host.control(msg);
  }

  /**
   * Counted per tick (one second). Past the budget the browser is not read until the next
   * tick: a burst (a VNC drag, a fast typist) is slowed, never closed, and a flood costs at
   * most one socket read per second beyond the budget (SECURITY.md C13).
   */
  #countMessage(): void {
    if (++this.#messagesThisSecond >= this.#limits.maxMessagesPerSecond) this.#throttle('messages');
  }

  #throttle(budget: 'messages' | 'bytes'): void {
    if (this.#throttled) return;
    this.#throttled = true;
    this.#sync();
    if (this.#throttleLogged) return;
    this.#throttleLogged = true;
    this.#log.info(
      { event: 'session.throttled', session: this.#host.id, ip: this.#host.clientIp, budget },
      'browser input slowed to the per-second budget',
    );
  }

  /** The backend cannot take input now (false) or can again (true). */
  inputFlow(open: boolean): void {
    this.#inputOpen = open;
    this.#sync();
  }

  /** Reads from the browser only while nothing holds the flow back. */
  #sync(): void {
    const want = this.#inputOpen && !this.#throttled && !this.#closed;
    if (want === this.#reading) return;
    this.#reading = want;
    // Pongs could not be read while paused: give the outstanding ping a fresh deadline.
    if (want && this.#awaitingPong) this.#lastPing = Date.now();
    if (want) this.ws.resume();
    else this.ws.pause();
  }

  /** Viewer: the owner's copy of the output; the hot path of the byte stream. */
  data(bytes: Uint8Array, _offset: number): void {
    if (this.ws.readyState !== 1) {
      // Closing: nothing reaches the browser any more, so nothing more should be read. The
      // bytes count as unacknowledged: a resume must replay them (replay-ring.ts).
      this.#window.sent(bytes.length);
      this.#hold();
      return;
    }
    this.ws.send(bytes, SEND_BINARY, this.#onFlushed);
    this.#account(bytes.length);
  }

  /**
   * Viewer: control messages go only to porthole.v1 clients. Those the backend caused count
   * like terminal bytes (window, buffer cap, hold), so a flood of them pauses the backend.
   */
  control(msg: ServerMessage): void {
    if (!this.#v1 || this.ws.readyState !== 1) return;
    const text = encode(msg);
    if (!countsInWindow(msg.type)) {
      this.ws.send(text);
      return;
    }
    this.ws.send(text, this.#onFlushed);
    this.#account(Buffer.byteLength(text));
  }

  /** Session messages (hello, status, pong): not counted, never held back. */
  send(msg: ServerMessage): void {
    if (this.#v1 && this.ws.readyState === 1) this.ws.send(encode(msg));
  }

  /** n bytes were queued for the browser: window, cap, and the owner's hold on the backend. */
  #account(n: number): void {
    const limits = this.#limits;
    const overWindow = this.#v1 && this.#window.sent(n);
    // bufferedAmount is what this process holds for the browser; unacknowledged bytes
    // beyond it sit in kernels and the browser, not here.
    const buffered = this.ws.bufferedAmount;
    if (buffered > limits.sessionBufferCapBytes) {
      this.#host.close(
        CloseCode.POLICY,
        'slow consumer: the browser is not keeping up',
        'slow-client',
      );
      return;
    }
    if (overWindow || buffered >= limits.highWaterBytes) this.#hold();
  }

  #hold(): void {
    if (this.#holding) return;
    this.#holding = true;
    this.#host.holdBackend(true);
  }

  #onFlushed = (): void => {
    if (this.#holding) this.#maybeRelease();
  };

  #maybeRelease(): void {
    if (this.#closed || !this.#host.backendOpen) return;
    if (this.#v1 && !this.#window.belowLowWater) return;
    if (this.ws.bufferedAmount > this.#limits.lowWaterBytes) return;
    this.#holding = false;
    this.#host.holdBackend(false);
  }

  /** Start of a tick: the per-second budgets restart. */
  tickRates(): void {
    this.#messagesThisSecond = 0;
    this.#bytesThisSecond = 0;
    if (this.#throttled) {
      this.#throttled = false;
      this.#sync();
    }
  }

  /** Heartbeat; false when the browser stopped answering (the session has then ended). */
  tickHeartbeat(now: number): boolean {
    const { heartbeatInterval, heartbeatTimeout } = this.#limits;
    // While we are not reading the browser (backpressure), its pongs cannot arrive: no verdict.
    if (this.#awaitingPong && this.#reading && now - this.#lastPing >= heartbeatTimeout) {
      this.#log.info(
        { event: 'session.heartbeat-timeout', session: this.#host.id },
        'browser stopped answering pings',
      );
      this.#host.lost(this, CloseCode.ABNORMAL, 'no pong', 'heartbeat');
      this.ws.terminate();
      return false;
    }
    if (!this.#awaitingPong && heartbeatInterval > 0 && now - this.#lastPing >= heartbeatInterval) {
      this.#lastPing = now;
      this.#awaitingPong = true;
      this.ws.ping();
    }
    return true;
  }

  /** The session is over: stop reading; no more holds. */
  markClosed(): void {
    this.#closed = true;
  }

  /** Sends the close frame (if the socket is still open) and cuts it if the peer never answers. */
  close(code: number, reason: string): void {
    this.#closed = true;
    const ws = this.ws;
    if (ws.readyState === 0 || ws.readyState === 1) {
      ws.close(code, clampReason(reason));
      this.#armKillTimer();
    }
  }

  #armKillTimer(): void {
    if (this.#killTimer !== undefined) return;
    const ws = this.ws;
    this.#killTimer = setTimeout(() => ws.terminate(), this.#limits.closeTimeout);
    this.#killTimer.unref();
  }
}
