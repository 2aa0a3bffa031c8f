/**
 * Dialling a backend: resolve the name once (with a timeout), connect to the resolved
 * address (so what was resolved is what is dialled), bound the connect time, and turn
 * every failure into one BackendError with a kind for the logs. The browser only ever
 * learns "backend unavailable" (SECURITY.md B7).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type OnReadOpts, type Socket, connect as tcpConnect } from 'node:net';

/** `no-descriptors`: this process is out of file descriptors (EMFILE/ENFILE), not the host's fault. */
export type BackendFailure =
  | 'dns'
  | 'refused'
  | 'timeout'
  | 'unreachable'
  | 'aborted'
  | 'no-descriptors'
  /** The TLS handshake or the certificate check failed (the message says which). */
  | 'tls';

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
 * Backend reads, two tiers (Node's `onread`):
 * - Every socket starts on one 64 KiB buffer shared by all backend sockets; each read is
 *   copied out to an exact-size Buffer before the next can happen (reads run one at a time on
 *   the event loop), so an idle socket holds no buffer and keystroke echoes cost a tiny copy.
 * - Two bulk reads (32 KiB or more) in a row mean a flood: the socket gets a 256 KiB buffer of
 *   its own. Reads of at least half of it are handed on as they are, with no copy, and a fresh
 *   buffer takes the next read (a handed-on chunk pins at most twice its size); smaller bulk
 *   reads are copied out and the buffer is kept. The first read under 32 KiB sends the socket
 *   back to the shared buffer, so only a socket whose flood stopped on a bulk read keeps
 *   256 KiB until its next read.
 * On a flood that is a quarter of the reads, frames and writes of Node's 64 KiB default, and no
 * 64 KiB allocation per read. Sockets still emit 'data', pause() and resume().
 */
const SHARED_READ_BYTES = 64 * 1024;
export const READ_BUFFER_BYTES = 256 * 1024;
const HANDOFF_MIN_BYTES = READ_BUFFER_BYTES / 2;
const BULK_READ_BYTES = 32 * 1024;
const sharedReadBuffer = Buffer.allocUnsafeSlow(SHARED_READ_BYTES);

function copyOut(buffer: Uint8Array, bytes: number): Buffer {
  // Unpooled: a small chunk waiting for a slow browser must not pin an 8 KiB pool slab.
  const chunk = Buffer.allocUnsafeSlow(bytes);
  chunk.set(buffer.subarray(0, bytes));
  return chunk;
}

/** A socket that has made bulk reads: how many in a row, and the buffer for its next read. */
interface BulkState {
  reads: number;
  next: Uint8Array;
}
/** Only sockets in or near a flood have an entry; an idle socket costs nothing here. */
const bulk = new WeakMap<Socket, BulkState>();
/**
 * Node calls `buffer()` as a plain function right after `callback` returns (and once when the
 * socket starts, before any read), so `callback` leaves the socket's next buffer here and
 * `buffer()` takes it, falling back to the shared one.
 */
let nextBuffer: Uint8Array = sharedReadBuffer;

/**
 * The `onread` option of every backend socket: one object for all of them (a closure pair per
 * socket was about 300 bytes of every held session). `callback` runs as a method of the
 * socket that read, so the socket is the key to its state.
 */
const BACKEND_READ: OnReadOpts = {
  buffer(): Uint8Array {
    const next = nextBuffer;
    nextBuffer = sharedReadBuffer;
    return next;
  },
  callback(this: Socket, bytes: number, buffer: Uint8Array): boolean {
    let state = bulk.get(this);
    if (bytes < BULK_READ_BYTES) {
      if (state !== undefined) bulk.delete(this);
      this.emit('data', copyOut(buffer, bytes));
      return true;
    }
    if (state === undefined) {
      state = { reads: 0, next: sharedReadBuffer };
      bulk.set(this, state);
    }
    state.reads++;
    let chunk: Buffer;
    if (buffer !== sharedReadBuffer && bytes >= HANDOFF_MIN_BYTES) {
      chunk = Buffer.from(buffer.buffer, buffer.byteOffset, bytes);
      state.next = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
    } else {
      chunk = copyOut(buffer, bytes);
      if (state.reads >= 2 && state.next === sharedReadBuffer)
        state.next = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
    }
    this.emit('data', chunk);
    // Last, after any code the data handlers ran (which may start other sockets).
    nextBuffer = state.next;
    return true;
  },
};

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
