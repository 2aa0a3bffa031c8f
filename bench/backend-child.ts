/**
 * The bench's loopback backends, run in their own process so that the proxy's process is
 * measured alone. Every connection starts with a decimal byte count and "\n":
 *   flood: sends that many bytes in 64 KiB writes (0 = forever), as fast as the socket drains;
 *   sink:  reads that many bytes, then answers "ok\n";
 *   echo:  (no header) writes back whatever arrives.
 * Reports its ports over IPC; answers { cmd: 'stats' } with its live connection count.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface BackendPorts {
  echo: number;
  sink: number;
  flood: number;
}

export type BackendMessage =
  | { type: 'ready'; ports: BackendPorts }
  | { type: 'stats'; connections: number };

const FLOOD_CHUNK = Buffer.alloc(64 * 1024, 'y');
const LF = 0x0a;
let connections = 0;

/** Reads the "N\n" header, then hands over the count and whatever followed it. */
function readHeader(socket: Socket, onHeader: (bytes: number, rest: Buffer) => void): void {
  let head = '';
  const onData = (chunk: Buffer): void => {
    const nl = chunk.indexOf(LF);
    if (nl === -1) {
      head += chunk.toString('latin1');
      return;
    }
    socket.off('data', onData);
    head += chunk.toString('latin1', 0, nl);
    onHeader(Number(head), chunk.subarray(nl + 1));
  };
  socket.on('data', onData);
}

function flood(socket: Socket): void {
  readHeader(socket, (bytes) => {
    let left = bytes === 0 ? Number.POSITIVE_INFINITY : bytes;
    const pump = (): void => {
      while (left > 0 && !socket.destroyed) {
        const n = Math.min(FLOOD_CHUNK.length, left);
        left -= n;
        if (!socket.write(n === FLOOD_CHUNK.length ? FLOOD_CHUNK : FLOOD_CHUNK.subarray(0, n)))
          return;
      }
    };
    socket.on('drain', pump);
    socket.on('data', () => {}); // keep reading (acks never reach here; stray bytes are dropped)
    pump();
  });
}

function sink(socket: Socket): void {
  readHeader(socket, (bytes, rest) => {
    let got = rest.length;
    let answered = false;
    const check = (): void => {
      if (!answered && got >= bytes) {
        answered = true;
        socket.write('ok\n');
      }
    };
    socket.on('data', (chunk: Buffer) => {
      got += chunk.length;
      check();
    });
    check();
  });
}

function echo(socket: Socket): void {
  socket.on('data', (chunk: Buffer) => socket.write(chunk));
}

function serve(handler: (socket: Socket) => void): Promise<number> {
  const server: Server = createServer({ noDelay: true }, (socket) => {
    connections++;
    socket.on('error', () => socket.destroy());
    socket.on('close', () => connections--);
    handler(socket);
  });
  return new Promise((resolve) =>
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    }),
  );
}

const send = (msg: BackendMessage): void => {
  process.send?.(msg);
};

const ports: BackendPorts = {
  echo: await serve(echo),
  sink: await serve(sink),
  flood: await serve(flood),
};
process.on('message', (msg: { cmd?: string }) => {
  if (msg.cmd === 'stats') send({ type: 'stats', connections });
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', ports });
