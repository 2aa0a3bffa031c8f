/**
 * Hand-built HTTP and WebSocket frames over raw `net` sockets (SECURITY.md harness): an
 * upgrade request with any headers (or none), a frame encoder with masking, fragments,
 * RSV bits and a forged length, and a reader for what the server sends back.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export const Op = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 } as const;

export interface UpgradeRequest {
  method?: string;
  path?: string;
  /** The Host header; default 127.0.0.1:PORT. */
  host?: string;
  /** The Origin header; null = none sent; default http://127.0.0.1:PORT. */
  origin?: string | null;
  /** Sec-WebSocket-Key; null = none sent. */
  key?: string | null;
  version?: string;
  protocol?: string;
  extensions?: string;
  /** Extra header lines, sent after the standard ones, in order. */
  headers?: readonly (readonly [string, string])[];
  localAddress?: string;
}

export interface RawResponse {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The status line and headers as received. */
  head: string;
  body: string;
  socket: Socket;
  /** Bytes after the head (the first WebSocket frames after a 101). */
  rest: Buffer;
}

/** Opens a TCP connection to 127.0.0.1:port. */
export function rawConnect(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      port,
      host: '127.0.0.1',
      noDelay: true,
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    socket.once('connect', () => {
      socket.off('error', reject);
      // The server may cut a test's socket at any time; EPIPE/ECONNRESET are expected.
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** The text of an upgrade request. */
export function upgradeRequest(port: number, r: UpgradeRequest = {}): string {
  const lines = [`${r.method ?? 'GET'} ${r.path ?? '/ws?host=echo'} HTTP/1.1`];
  lines.push(`Host: ${r.host ?? `127.0.0.1:${port}`}`);
  lines.push('Upgrade: websocket', 'Connection: Upgrade');
  const key = r.key === undefined ? randomBytes(16).toString('base64') : r.key;
  if (key !== null) lines.push(`Sec-WebSocket-Key: ${key}`);
  lines.push(`Sec-WebSocket-Version: ${r.version ?? '13'}`);
  const origin = r.origin === undefined ? `http://127.0.0.1:${port}` : r.origin;
  if (origin !== null) lines.push(`Origin: ${origin}`);
  if (r.protocol !== undefined) lines.push(`Sec-WebSocket-Protocol: ${r.protocol}`);
  if (r.extensions !== undefined) lines.push(`Sec-WebSocket-Extensions: ${r.extensions}`);
  for (const [k, v] of r.headers ?? []) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Reads an HTTP response head (and, unless it is a 101, the body until the server closes).
 * Rejects if nothing complete arrives within timeoutMs.
 */
export function readResponse(socket: Socket, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let parsed: Omit<RawResponse, 'body' | 'rest'> | undefined;
    let bodyStart = 0;
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no complete HTTP response within ${timeoutMs} ms: ${buf.toString()}`));
    }, timeoutMs);
    const finish = (): void => {
      if (parsed === undefined) return;
      cleanup();
      const after = buf.subarray(bodyStart);
      if (parsed.status === 101) resolve({ ...parsed, body: '', rest: after });
      else resolve({ ...parsed, body: after.toString('utf8'), rest: Buffer.alloc(0) });
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (parsed === undefined) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const [statusLine = '', ...lines] = head.split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(':');
          if (colon > 0)
            headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        parsed = { status: Number(statusLine.split(' ')[1]), headers, head, socket };
        bodyStart = end + 4;
        if (parsed.status === 101) finish();
      }
      const length = Number(parsed.headers['content-length']);
      if (parsed.status !== 101 && Number.isInteger(length) && buf.length - bodyStart >= length)
        finish();
    };
    const onEnd = (): void => {
      if (parsed !== undefined) finish();
      else {
        cleanup();
        reject(new Error(`connection closed before a response: ${JSON.stringify(buf.toString())}`));
      }
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onEnd);
    };
    socket.on('data', onData);
    socket.on('close', onEnd);
    socket.on('error', () => {});
  });
}

/** Connects, sends an upgrade request and reads the answer. */
export async function rawUpgrade(
  port: number,
  r: UpgradeRequest = {},
  timeoutMs = 5000,
): Promise<RawResponse> {
  const socket = await rawConnect(port, r.localAddress);
  socket.write(upgradeRequest(port, r));
  return readResponse(socket, timeoutMs);
}

/** Sends arbitrary bytes as an HTTP request and reads the answer. */
export async function rawHttp(
  port: number,
  request: string | Buffer,
  timeoutMs = 5000,
): Promise<RawResponse> {
  const socket = await rawConnect(port);
  socket.write(request);
  return readResponse(socket, timeoutMs);
}

export interface FrameSpec {
  opcode: number;
  payload?: Buffer;
  fin?: boolean;
  rsv1?: boolean;
  /** Client frames must be masked (RFC 6455 §5.3); false to send an unmasked one. */
  mask?: boolean;
  /** A length to declare instead of the payload's (the payload is still appended). */
  declaredLength?: bigint;
}

/** Encodes one frame as a client would send it (masked by default). */
export function encodeFrame(f: FrameSpec): Buffer {
  const payload = f.payload ?? Buffer.alloc(0);
  const len = f.declaredLength ?? BigInt(payload.length);
  const masked = f.mask ?? true;
  const b0 = ((f.fin ?? true) ? 0x80 : 0) | (f.rsv1 === true ? 0x40 : 0) | (f.opcode & 0x0f);
  const maskBit = masked ? 0x80 : 0;
  let head: Buffer;
  if (len < 126n) head = Buffer.from([b0, maskBit | Number(len)]);
  else if (len < 65536n) {
    head = Buffer.alloc(4);
    head[0] = b0;
    head[1] = maskBit | 126;
    head.writeUInt16BE(Number(len), 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = b0;
    head[1] = maskBit | 127;
    head.writeBigUInt64BE(len, 2);
  }
  if (!masked) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] ?? 0) ^ (key[i & 3] ?? 0);
  return Buffer.concat([head, key, body]);
}

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

export interface FrameReader {
  frames: Frame[];
  /** Resolves with the server's close frame (code, reason), or code 1006 if the TCP connection just ended. */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves when the TCP connection is fully closed. */
  ended: Promise<void>;
}

/** Parses the server's (unmasked) frames; with autoPong, answers pings and the close like a live client. */
export function readFrames(socket: Socket, initial: Buffer, autoPong = false): FrameReader {
  const frames: Frame[] = [];
  let buf = initial;
  let resolveClosed: (v: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((r) => {
    resolveClosed = r;
  });
  const ended = new Promise<void>((r) => socket.once('close', () => r()));
  const parse = (): void => {
    for (;;) {
      if (buf.length < 2) return;
      const b0 = buf[0] ?? 0;
      const b1 = buf[1] ?? 0;
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      if (buf.length < off + len) return;
      const frame = {
        fin: (b0 & 0x80) !== 0,
        opcode: b0 & 0x0f,
        payload: buf.subarray(off, off + len),
      };
      buf = buf.subarray(off + len);
      frames.push(frame);
      if (frame.opcode === Op.CLOSE) {
        const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
        resolveClosed({ code, reason: frame.payload.subarray(2).toString('utf8') });
        if (autoPong && socket.writable)
          socket.end(encodeFrame({ opcode: Op.CLOSE, payload: frame.payload.subarray(0, 2) }));
      } else if (frame.opcode === Op.PING && autoPong && socket.writable) {
        socket.write(encodeFrame({ opcode: Op.PONG, payload: frame.payload }));
      }
    }
  };
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    parse();
  });
  socket.on('error', () => {});
  socket.once('close', () => resolveClosed({ code: 1006, reason: '' }));
  parse();
  return { frames, closed, ended };
}

/** Completes a WebSocket handshake by hand; rejects unless the answer is 101. */
export async function rawSession(
  port: number,
  r: UpgradeRequest = {},
  autoPong = false,
): Promise<{ socket: Socket; reader: FrameReader; response: RawResponse }> {
  const response = await rawUpgrade(port, r);
  if (response.status !== 101) {
    response.socket.destroy();
    throw new Error(`expected 101, got ${response.status}`);
  }
  return {
    socket: response.socket,
    reader: readFrames(response.socket, response.rest, autoPong),
    response,
  };
}

/** Resolves after the socket has closed, or rejects after timeoutMs. */
export function socketClosed(socket: Socket, timeoutMs = 5000): Promise<void> {
  if (socket.destroyed && socket.closed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket still open')), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
