/**
 * Fake backends on 127.0.0.1:0 (SECURITY.md harness): echo, flood, silent, fin-after-N,
 * rst, no-read and recorder. Each returns its port, the sockets it accepted and close().
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface FakeBackend {
  port: number;
  target: string;
  /** Every socket accepted so far. */
  sockets: Socket[];
  /** Bytes received, per accepted socket, in order. */
  received: Buffer[][];
  /** Everything received on every socket so far, as latin1 text. */
  receivedText(): string;
  /** Resolves when the next connection is accepted. */
  nextConnection(): Promise<Socket>;
  close(): Promise<void>;
}

export async function startBackend(
  onConnection: (socket: Socket) => void = () => {},
): Promise<FakeBackend> {
  const sockets: Socket[] = [];
  const received: Buffer[][] = [];
  const waiters: ((s: Socket) => void)[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    const chunks: Buffer[] = [];
    received.push(chunks);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    for (const w of waiters.splice(0)) w(socket);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    target: `tcp://127.0.0.1:${address.port}`,
    sockets,
    received,
    receivedText: () => Buffer.concat(received.flat()).toString('latin1'),
    nextConnection: () => new Promise((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export const echoBackend = (): Promise<FakeBackend> => startBackend((s) => s.pipe(s));

/** Writes a chunk (`y\n` repeated to `chunk` bytes, or the given bytes) as fast as the socket drains, forever (like `yes`). */
export function floodBackend(chunk: number | Buffer = 64 * 1024): Promise<FakeBackend> {
  const bytes = typeof chunk === 'number' ? Buffer.alloc(chunk, 'y\n') : chunk;
  return startBackend((s) => {
    const pump = (): void => {
      while (!s.destroyed && s.write(bytes)) {}
    };
    s.on('drain', pump);
    pump();
  });
}

/** Sends `bytes` then FIN. */
export function finAfterBackend(bytes: Buffer): Promise<FakeBackend> {
  return startBackend((s) => s.end(bytes));
}

/** Sends `bytes`, then resets the connection. */
export function rstBackend(bytes: Buffer): Promise<FakeBackend> {
  return startBackend((s) => s.write(bytes, () => s.resetAndDestroy()));
}

/** Accepts and never reads: its receive window fills and the proxy must stop. */
export function noReadBackend(): Promise<FakeBackend> {
  return startBackend((s) => s.pause());
}

/** A port with nothing listening on it (bound then closed). */
export async function closedPort(): Promise<number> {
  const b = await startBackend();
  await b.close();
  return b.port;
}
