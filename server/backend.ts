/**
 * Dialling a backend: resolve the name once (with a timeout), connect to the resolved
 * address (so what was resolved is what is dialled), bound the connect time, and turn
 * every failure into one BackendError with a kind for the logs. The browser only ever
 * learns "backend unavailable" (SECURITY.md B7).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type Socket, connect as tcpConnect } from 'node:net';

/** `no-descriptors`: this process is out of file descriptors (EMFILE/ENFILE), not the host's fault. */
export type BackendFailure =
  | 'dns'
  | 'refused'
  | 'timeout'
  | 'unreachable'
  | 'aborted'
  | 'no-descriptors';

export class BackendError extends Error {
  override name = 'BackendError';
  readonly kind: BackendFailure;
  constructor(kind: BackendFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
  }
}

export interface DialOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  dnsTimeoutMs: number;
  /** Aborts the dial when the browser goes away first. */
  signal: AbortSignal;
  /** Name → address; defaults to the OS resolver (dns.lookup). Injectable for tests and embedders. */
  lookup?: Lookup;
}

export type Lookup = (host: string) => Promise<{ address: string }>;

const KEEPALIVE_DELAY_MS = 60_000;

/**
 * Backend reads go into one buffer shared by every backend socket: 256 KiB, so a flooding host
 * is read in quarter-megabyte gulps (a quarter of the reads, frames and writes of Node's 64 KiB
 * default), and an idle socket holds no read buffer at all. Reads run one at a time on the
 * event loop and each is copied out to an exact-size Buffer before the next, so nothing ever
 * sees the shared bytes change under it. Sockets still emit 'data', pause() and resume().
 */
export const READ_BUFFER_BYTES = 256 * 1024;
const sharedReadBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);

/** Node calls it as a method of the socket that read (`this`); true = keep reading. */
function onBackendRead(this: Socket, bytes: number, buffer: Uint8Array): boolean {
  // Unpooled: a small chunk waiting for a slow browser must not pin an 8 KiB pool slab.
  const chunk = Buffer.allocUnsafeSlow(bytes);
  chunk.set(buffer.subarray(0, bytes));
  this.emit('data', chunk);
  return true;
}

const BACKEND_READ = { buffer: sharedReadBuffer, callback: onBackendRead };

async function resolveAddress(
  host: string,
  timeoutMs: number,
  signal: AbortSignal,
  lookup: Lookup,
): Promise<string> {
  if (isIP(host) !== 0) return host;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BackendError('dns', `DNS lookup of ${host} timed out`)),
      timeoutMs,
    );
  });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new BackendError('aborted', 'dial aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const found = await Promise.race([lookup(host), timeout, aborted]);
    return found.address;
  } catch (err) {
    if (err instanceof BackendError) throw err;
    throw new BackendError(
      'dns',
      `DNS lookup of ${host} failed: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        cause: err,
      },
    );
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

function classify(err: NodeJS.ErrnoException): BackendFailure {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'EMFILE':
    case 'ENFILE':
      return 'no-descriptors';
    default:
      return 'unreachable';
  }
}

/** Connects to a backend; resolves with a connected socket (no-delay, keepalive on). */
export async function dial(options: DialOptions): Promise<Socket> {
  const { port, connectTimeoutMs, signal } = options;
  if (signal.aborted) throw new BackendError('aborted', 'dial aborted');
  const address = await resolveAddress(
    options.host,
    options.dnsTimeoutMs,
    signal,
    options.lookup ?? dnsLookup,
  );
  return new Promise<Socket>((resolve, reject) => {
    const socket = tcpConnect({
      host: address,
      port,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: KEEPALIVE_DELAY_MS,
      onread: BACKEND_READ,
    });
    const fail = (error: BackendError): void => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onError = (err: NodeJS.ErrnoException): void =>
      fail(
        new BackendError(
          classify(err),
          `connect to ${address}:${port} failed: ${err.code ?? err.message}`,
          { cause: err },
        ),
      );
    const onAbort = (): void => fail(new BackendError('aborted', 'dial aborted'));
    const timer = setTimeout(
      () =>
        fail(
          new BackendError(
            'timeout',
            `connect to ${address}:${port} timed out after ${connectTimeoutMs} ms`,
          ),
        ),
      connectTimeoutMs,
    );
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      cleanup();
      resolve(socket);
    });
  });
}
