/**
 * Dialling a configured host, in the order the wire needs it: TCP, then the PROXY header
 * (before any other byte), then the TLS handshake (for `telnets://` and `tls://`), then the
 * WEBIRC line. The session writes nothing until this resolves, so no byte of it ever goes
 * out before the handshake is done (SECURITY.md K1).
 */
import type { Socket } from 'node:net';
import { startTls } from './backend-tls.ts';
import type { HostEntry } from './catalogue.ts';
import { BackendError, dial, type Lookup } from './dial.ts';
import { type Endpoint, proxyHeader } from './proxy-header.ts';
import { type SshDialContext, sshOver } from './ssh-dial.ts';
import type { SshStream } from './ssh-stream.ts';
import { webircLine } from './webirc.ts';

export interface HostDialOptions {
  connectTimeoutMs: number;
  dnsTimeoutMs: number;
  signal: AbortSignal;
  lookup?: Lookup | undefined;
  /** The browser as Porthole determined it (through trustedProxies); port 0 when unknown. */
  client: Endpoint;
  /** Where `builtin:demo` listens. */
  demoPort: number | undefined;
  /** For `ssh://` hosts: the session's user, id and log. */
  ssh?: Omit<SshDialContext, 'host' | 'port' | 'handshakeTimeoutMs'>;
}

function writeFirst(socket: Socket, bytes: Buffer, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      socket.destroy();
      reject(
        new BackendError(
          'unreachable',
          `writing the PROXY header failed: ${err.code ?? err.message}`,
          {
            cause: err,
          },
        ),
      );
    };
    socket.once('error', onError);
    socket.write(bytes, (err) => {
      socket.off('error', onError);
      if (err !== undefined && err !== null) onError(err);
      else if (signal.aborted) {
        socket.destroy();
        reject(new BackendError('aborted', 'dial aborted'));
      } else resolve();
    });
  });
}

/**
 * Connects to a catalogue host; rejects with BackendError (kind `tls` for TLS refusals).
 * An `ssh://` host resolves with the SSH session's stream.
 */
export async function dialHost(
  entry: HostEntry,
  options: HostDialOptions,
): Promise<Socket | SshStream> {
  const { config, target } = entry;
  if (entry.ssh !== undefined && options.ssh === undefined)
    throw new Error('dialHost: an ssh:// host needs options.ssh');
  const builtin = target.kind === 'builtin';
  let socket = await dial({
    host: builtin ? '127.0.0.1' : target.host,
    port: builtin ? (options.demoPort ?? 0) : target.port,
    connectTimeoutMs: options.connectTimeoutMs,
    dnsTimeoutMs: options.dnsTimeoutMs,
    signal: options.signal,
    ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
  });
  if (entry.ssh !== undefined && options.ssh !== undefined) {
    return sshOver(socket, entry.ssh, {
      ...options.ssh,
      host: target.host,
      port: target.port,
      handshakeTimeoutMs: options.connectTimeoutMs,
    });
  }
  if (config.proxyProtocol !== undefined) {
    const backend = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    const header = proxyHeader(config.proxyProtocol, options.client, backend);
    await writeFirst(socket, header, options.signal);
  }
  if (entry.tls !== undefined)
    socket = await startTls(socket, entry.tls, options.connectTimeoutMs, options.signal);
  if (config.webirc !== undefined) {
    const line = webircLine(config.webirc, options.client.address);
    if (line !== undefined) socket.write(line);
  }
  return socket;
}
