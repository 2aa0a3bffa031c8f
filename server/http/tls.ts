/**
 * HTTPS with certificate reload: files are watched (and `reload()` is exposed for SIGHUP);
 * a new certificate applies to new handshakes via setSecureContext() while existing
 * sessions keep running; a bad certificate keeps the old one and logs an error (G12).
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { RequestListener } from 'node:http';
import { createServer, type Server, type ServerOptions } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../common/log.ts';

export interface TlsFiles {
  cert: string;
  key: string;
}

const WATCH_INTERVAL_MS = 2000;

function readPair(files: TlsFiles): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(files.cert), key: readFileSync(files.key) };
}

export interface TlsServer {
  server: Server;
  /** Re-reads the files; returns false (keeping the old certificate) when they are bad. */
  reload(): boolean;
  stopWatching(): void;
}

export function createTlsServer(
  files: TlsFiles,
  base: ServerOptions,
  app: RequestListener,
  log: Logger,
): TlsServer {
  const server = createServer(
    {
      ...base,
      ...readPair(files),
      minVersion: 'TLSv1.2',
      // The HTTP header timeout starts only after the TLS handshake; without this a socket
      // that never starts one is held for Node's default 120 s (SECURITY.md C2).
      handshakeTimeout: base.headersTimeout ?? 10_000,
    },
    app,
  );
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
    log.info(
      { event: 'tls.refused', code: err.code ?? err.message, ip: socket.remoteAddress },
      'TLS handshake failed',
    );
  });
  const reload = (): boolean => {
    try {
      const pair = readPair(files);
      createSecureContext(pair); // throws on a bad or mismatched pair
      server.setSecureContext({ ...pair, minVersion: 'TLSv1.2' });
      log.info({ event: 'tls.reload', cert: files.cert }, 'certificate reloaded');
      return true;
    } catch (err) {
      log.error(
        { event: 'tls.reload-failed', cert: files.cert, detail: (err as Error).message },
        'certificate reload failed; keeping the old one',
      );
      return false;
    }
  };
  const onChange = (): void => {
    reload();
  };
  watchFile(files.cert, { interval: WATCH_INTERVAL_MS, persistent: false }, onChange);
  watchFile(files.key, { interval: WATCH_INTERVAL_MS, persistent: false }, onChange);
  return {
    server,
    reload,
    stopWatching: () => {
      unwatchFile(files.cert, onChange);
      unwatchFile(files.key, onChange);
    },
  };
}
