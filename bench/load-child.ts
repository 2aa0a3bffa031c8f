/**
 * The `conns` load client, in its own process (each holds one descriptor per session, and
 * the per-process cap is 20 000). Opens sessions with bounded concurrency; a session counts
 * once a 32-byte echo has come back through it. Commands arrive over IPC.
 */
import { WebSocket } from 'ws';
import { SUBPROTOCOL } from '../shared/protocol.ts';

export type LoadCommand =
  | { cmd: 'open'; url: string; origin: string; count: number; concurrency: number }
  | { cmd: 'live' }
  | { cmd: 'close' }
  /** Every session's TCP connection cut without a close frame (a browser that vanished). */
  | { cmd: 'drop' };

export type LoadMessage =
  | { type: 'opened'; ok: number; failed: number; ms: number; failures: Record<string, number> }
  | { type: 'live'; live: number; closeCodes: Record<string, number> }
  | { type: 'closed' };

const PING = Buffer.alloc(32, 'p');
const OPEN_TIMEOUT_MS = 30_000;
const live = new Set<WebSocket>();
const closeCodes: Record<string, number> = {};
function openOne(url: string, origin: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, SUBPROTOCOL, {
      origin,
      perMessageDeflate: false,
      handshakeTimeout: OPEN_TIMEOUT_MS,
    });
    let settled = false;
    const settle = (failure: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (failure === undefined) live.add(ws);
      resolve(failure);
    };
    const timer = setTimeout(() => {
      settle('timeout');
      ws.terminate();
    }, OPEN_TIMEOUT_MS);
    let echoed = 0;
    ws.on('open', () => ws.send(PING));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      echoed += data.length;
      if (echoed >= PING.length) settle(undefined);
    });
    ws.on('unexpected-response', (req, res) => {
      settle(`http-${res.statusCode}`);
      req.destroy();
    });
    ws.on('error', (err: NodeJS.ErrnoException) => settle(`error-${err.code ?? err.message}`));
    ws.on('close', (code: number) => {
      settle(`close-${code}`);
      if (live.delete(ws)) closeCodes[code] = (closeCodes[code] ?? 0) + 1;
    });
  });
}

async function openAll(cmd: Extract<LoadCommand, { cmd: 'open' }>): Promise<LoadMessage> {
  const failures: Record<string, number> = {};
  let next = 0;
  let ok = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (next < cmd.count) {
      next++;
      const failure = await openOne(cmd.url, cmd.origin);
      if (failure === undefined) ok++;
      else failures[failure] = (failures[failure] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: cmd.concurrency }, lane));
  const ms = performance.now() - t0;
  return { type: 'opened', ok, failed: cmd.count - ok, ms, failures };
}

async function closeAll(): Promise<void> {
  const all = [...live];
  const closed = all.map((ws) => new Promise<void>((r) => ws.once('close', () => r())));
  for (const ws of all) ws.close(1000);
  await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 10_000))]);
  for (const ws of live) ws.terminate();
}

const send = (msg: LoadMessage): void => {
  process.send?.(msg);
};

process.on('message', (cmd: LoadCommand) => {
  switch (cmd.cmd) {
    case 'open':
      void openAll(cmd).then(send);
      return;
    case 'live':
      send({ type: 'live', live: live.size, closeCodes });
      return;
    case 'close':
      void closeAll().then(() => send({ type: 'closed' }));
      return;
    case 'drop':
      for (const ws of live) (ws as unknown as { _socket: { destroy(): void } })._socket.destroy();
      send({ type: 'closed' });
      return;
  }
});
process.on('disconnect', () => process.exit(0));
