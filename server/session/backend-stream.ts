/**
 * What the bridge needs from a backend connection: a duplex byte stream shaped like
 * net.Socket. A plain TCP socket, a TLS socket and an ssh2 channel all fit, so a target kind
 * only has to produce one of these from its dial function.
 */
export interface BackendStream {
  /** false = the stream's queue is above its high-water mark: wait for 'drain'. */
  write(chunk: Uint8Array): boolean;
  pause(): unknown;
  resume(): unknown;
  /** Half-close (FIN); `destroy` cuts it. */
  end(): unknown;
  destroy(): unknown;
  /** Optional batching of the writes of one tick (sockets have it; channels may not). */
  cork?(): void;
  uncork?(): void;
  /** The browser's terminal size, for streams that carry one themselves (an SSH PTY). */
  resize?(cols: number, rows: number): void;
  readonly destroyed: boolean;
  /** Bytes queued for writing: counted against the session's buffer cap. */
  readonly writableLength: number;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'drain' | 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
  once(event: 'drain', listener: () => void): unknown;
}
