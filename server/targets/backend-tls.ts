/**
 * TLS to a backend (`telnets://`, `tls://`): the handshake runs on the connected TCP
 * socket before Porthole writes a single byte of the session, the certificate is verified
 * (system CAs or the host's `ca`, name = `servername` or the target host, optional
 * SHA-256 pin), and every refusal is a BackendError('tls') whose message says why
 * (SECURITY.md K1–K3).
 */
import { readFileSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { BackendTlsConfig } from '../config/backend-schema.ts';
import { BackendError } from './dial.ts';

/** What a host's `tls:` becomes once its files are read (at start). */
export interface TlsSettings {
  ca: Buffer | undefined;
  /** SNI and the name checked; undefined for an IP target without `servername`. */
  servername: string | undefined;
  /** The target host: the name (or IP) the certificate must match when no servername is set. */
  host: string;
  fingerprint256: string | undefined;
  insecure: boolean;
}

/** Reads the CA file once; the config schema has checked it is a readable PEM file. */
export function tlsSettings(config: BackendTlsConfig | undefined, host: string): TlsSettings {
  return {
    ca: config?.ca === undefined ? undefined : readFileSync(config.ca),
    servername: config?.servername ?? (isIP(host) === 0 ? host : undefined),
    host,
    fingerprint256: config?.fingerprint256,
    insecure: config?.insecure ?? false,
  };
}

/** Node's verification codes in words a log reader knows. */
function why(err: NodeJS.ErrnoException, ownCa: boolean): string {
  switch (err.code) {
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `certificate is not for this name (${err.message})`;
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return `certificate not valid now (${err.code})`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
      return `certificate not trusted by ${ownCa ? "the host's ca file" : 'the system CAs'} (${err.code})`;
    default:
      return `handshake failed (${err.code ?? err.message})`;
  }
}

/**
 * Runs the TLS handshake on `socket` and resolves once the peer is verified. Bounded by
 * `timeoutMs` and the signal; on any failure the socket is destroyed.
 */
export function startTls(
  socket: Socket,
  settings: TlsSettings,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<TLSSocket> {
  const where = `${socket.remoteAddress}:${socket.remotePort}`;
  return new Promise<TLSSocket>((resolve, reject) => {
    const tls = tlsConnect({
      socket,
      host: settings.host,
      ...(settings.servername === undefined ? {} : { servername: settings.servername }),
      ...(settings.ca === undefined ? {} : { ca: settings.ca }),
      rejectUnauthorized: !settings.insecure,
      minVersion: 'TLSv1.2',
    });
    const fail = (message: string, cause?: unknown): void => {
      cleanup();
      tls.destroy();
      socket.destroy();
      reject(new BackendError('tls', `TLS to ${where} refused: ${message}`, { cause }));
    };
    const onError = (err: NodeJS.ErrnoException): void =>
      fail(why(err, settings.ca !== undefined), err);
    const onAbort = (): void => {
      cleanup();
      tls.destroy();
      reject(new BackendError('aborted', 'dial aborted'));
    };
    const timer = setTimeout(() => fail(`no handshake within ${timeoutMs} ms`), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      tls.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    tls.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    tls.once('secureConnect', () => {
      const pin = settings.fingerprint256;
      const seen = tls.getPeerCertificate().fingerprint256;
      if (pin !== undefined && seen !== pin) {
        fail(`certificate fingerprint256 ${seen ?? 'none'} is not the pinned ${pin}`);
        return;
      }
      cleanup();
      resolve(tls);
    });
  });
}
