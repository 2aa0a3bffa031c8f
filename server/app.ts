/**
 * createPorthole(): the Express app (client build, /api, health, metrics), an HTTP server
 * and a `ws` server in noServer mode on one port. Also the library entry point for apps
 * that embed Porthole in their own http.Server.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { AdmitAnswer } from '../shared/api.ts';
import { CloseCode, chooseSubprotocol } from '../shared/protocol.ts';
import type { Codec, CodecOptions } from './codec/codec.ts';
import { addressKey } from './common/address-key.ts';
import { createLogger, type Logger } from './common/log.ts';
import type { Config, HostConfig } from './config/config.ts';
import { webSocketPaths } from './config/websockify-schema.ts';
import { admit } from './gateway/admission.ts';
import type { Principal } from './gateway/auth.ts';
import { capConnectionsPerAddress } from './gateway/connection-cap.ts';
import { createForwarding } from './gateway/forward.ts';
import type { SessionDirectory } from './gateway/ipc-sessions.ts';
import { createGate } from './gateway/limits.ts';
import { RedisState } from './gateway/redis-state.ts';
import { refuse } from './gateway/refuse.ts';
import { acceptRoutedResumes } from './gateway/resume-route.ts';
import type { SharedState } from './gateway/shared-state.ts';
import { handleUpgrade, type UpgradeContext } from './gateway/upgrade.ts';
import { onClientError } from './http/client-error.ts';
import { createMetrics } from './http/metrics.ts';
import { createMetricsServer, type MetricsServer } from './http/metrics-server.ts';
import { createExpressApp } from './http/routes.ts';
import { localDirectory } from './http/sessions-api.ts';
import { createTlsServer } from './http/tls.ts';
import { registerViewerMetrics } from './http/viewer-metrics.ts';
import { CLIENT_DIR } from './paths.ts';
import { createCodecFor } from './session/codec-factory.ts';
import { RecordingStore } from './session/recording-store.ts';
import { SessionRegistry } from './session/registry.ts';
import type { Session } from './session/session.ts';
import type { SessionShare } from './session/share.ts';
import { ShareRegistry } from './session/shares.ts';
import { HostCatalogue, type HostEntry, type HostListChange } from './targets/catalogue.ts';
import { startDemoServer } from './targets/demo.ts';
import type { Lookup } from './targets/dial.ts';

export interface PortholeOptions {
  config: Readonly<Config>;
  logger?: Logger;
  /** Directory of the built client; defaults to dist/public in the package. */
  clientDir?: string;
  /** Resolves backend host names (default: the OS resolver). */
  lookup?: Lookup;
  /** Replaces the configured auth for upgrades: resolve to a Principal or reject with AuthError. */
  authenticate?: (req: IncomingMessage) => Promise<Principal>;
  /** Chooses the codec for a host (default: telnet engine for telnet hosts, raw for tcp). */
  createCodec?: (entry: HostEntry, options: CodecOptions) => Codec | undefined;
  /**
   * Whether listen() also opens `metrics.listen` (default true). A cluster worker says
   * false: the primary serves every worker's figures there.
   */
  metricsListener?: boolean;
  /** Signs login cookies when the config has no `cookieSecret` (a cluster's shared key). */
  cookieKey?: string | undefined;
  /** Lockout, rates and session counts held elsewhere (a cluster worker asks its primary). */
  sharedState?: SharedState | undefined;
  /** What the admin API lists and ends (default: this process's sessions; a worker asks its primary). */
  sessionDirectory?: (local: SessionRegistry) => SessionDirectory;
}

export interface PortholeEvents {
  /** A session was admitted (after auth and limits) and is dialling its backend. */
  session: [session: Session];
  /** A session ended; `session.closeCode`, `closeReason` and `stats` say how. */
  close: [session: Session];
}

export interface Porthole extends EventEmitter<PortholeEvents> {
  readonly app: Express;
  readonly server: Server;
  readonly sessions: SessionRegistry;
  readonly hosts: HostCatalogue;
  readonly log: Logger;
  /** The Prometheus registry behind /metrics. */
  readonly metrics: Registry;
  /** The `metrics.listen` address once listening, if configured here. */
  readonly metricsAddress: () => AddressInfo | undefined;
  /** Starts the demo host (if configured) and listens; resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /**
   * The `upgrade` handler, for attaching to a server of your own. It takes only requests for
   * its own paths (`/ws`, `/websockify` under basePath) and returns true; any other path is
   * left untouched for the app's other `upgrade` listeners, and it returns false.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /**
   * Replaces the host list (SIGHUP): new sessions see the new list, live sessions keep the
   * host they started with (a removed host ends no session). Resolves with what changed.
   */
  reloadHosts(hosts: readonly HostConfig[]): Promise<HostListChange>;
  /** Re-reads the TLS certificate and key (also done when the files change). */
  reloadTls(): boolean;
  /** Stops accepting, closes sessions with 1001 and shuts down within graceMs. */
  close(graceMs?: number): Promise<void>;
}

/** The path of a request line, or '' when it is not one. */
function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '', 'http://localhost').pathname;
  } catch {
    return '';
  }
}

/** The admin API's sessions: this process's, and with a store every instance's. */
function directoryOf(state: SharedState, registry: SessionRegistry): SessionDirectory {
  const local = localDirectory(registry);
  return state instanceof RedisState ? state.shareSessions(local) : local;
}

/** Builds a Porthole instance from a validated config. */
export function createPorthole(options: PortholeOptions): Porthole {
  const { config } = options;
  const log = options.logger ?? createLogger(config.log.level);
  const clientDir = options.clientDir ?? CLIENT_DIR;
  const hosts = new HostCatalogue(config.hosts);
  for (const line of hosts.insecureHosts()) log.warn({ event: 'backend.insecure' }, line);
  const sessions = new SessionRegistry((ip) => addressKey(ip, config.limits.ipv6Prefix));
  const recordings =
    config.recording === undefined ? undefined : new RecordingStore(config.recording, log);
  const emitter = new EventEmitter<PortholeEvents>();
  let draining = false;
  let demo: { server: NetServer; port: number } | undefined;

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: config.limits.maxMessageBytes,
    maxFragments: 64,
    maxBufferedChunks: 4096,
    handleProtocols: (offered) => chooseSubprotocol(offered),
  });
  // The gate checks handshakes itself (handshake.ts); anything ws still refuses is logged too.
  wss.on('wsClientError', (err, socket, req) => {
    log.info(
      { event: 'upgrade.refused', status: 400, reason: err.message, ip: req.socket.remoteAddress },
      'upgrade refused',
    );
    refuse(socket, 400, 'bad WebSocket handshake\n');
  });
  const metrics = createMetrics(sessions, hosts);
  const shares = new ShareRegistry<SessionShare>();
  registerViewerMetrics(metrics.registry, shares, recordings);
  const gate = createGate(config, log, options.cookieKey, options.sharedState);
  const { state } = gate;
  const forwarding = createForwarding(config, gate, log, metrics.registry);
  const app = createExpressApp({
    config,
    hosts,
    gate,
    log,
    clientDir,
    metrics: metrics.registry,
    isDraining: () => draining,
    explain: (req, hostId) => explain(req, hostId),
    recordings,
    sessions: options.sessionDirectory?.(sessions) ?? directoryOf(state, sessions),
  });
  // SECURITY.md defaults: 10 s for headers, 8 KiB of them, at most 100.
  const serverOptions = {
    headersTimeout: config.limits.headersTimeout,
    requestTimeout: 15_000,
    maxHeaderSize: 8192,
    // How often Node checks those timeouts (default 30 s would let slowloris sockets linger).
    connectionsCheckingInterval: Math.min(1000, config.limits.headersTimeout),
  };
  const tls =
    config.tls === undefined ? undefined : createTlsServer(config.tls, serverOptions, app, log);
  const server: Server = tls?.server ?? createServer(serverOptions, app);
  server.maxHeadersCount = 100;
  server.on('clientError', onClientError(log));
  capConnectionsPerAddress(server, {
    max: config.limits.maxConnectionsPerIp ?? config.limits.maxSessionsPerIp + 32,
    keyOf: (ip) => addressKey(ip, config.limits.ipv6Prefix),
    trusted: gate.isTrustedPeer,
    log,
  });
  // One context for every upgrade: each live session keeps it (through its callbacks), so a
  // fresh object and closures per upgrade would cost every held session about 700 bytes.
  const wsPaths = webSocketPaths(config.basePath, config.websockify);
  const upgradeContext: UpgradeContext = {
    config,
    wsPaths,
    hosts,
    registry: sessions,
    shares,
    recordings,
    wss,
    gate,
    log,
    demoPort: () => demo?.port,
    draining: () => draining,
    createCodec: options.createCodec ?? createCodecFor,
    lookup: options.lookup,
    observer: metrics,
    forward: forwarding?.context,
    onSession: (s) => {
      metrics.opened(s);
      emitter.emit('session', s);
    },
    onSessionClose: (s) => {
      metrics.closed(s);
      emitter.emit('close', s);
    },
    ...(options.authenticate === undefined ? {} : { authenticate: options.authenticate }),
  };
  // GET /api/admit: the same admission list as the upgrade, as a probe (no rate token taken).
  const explain = async (req: IncomingMessage, hostId: string): Promise<AdmitAnswer> => {
    const url = new URL('http://localhost/');
    url.searchParams.set('host', hostId);
    const result = await admit(upgradeContext, req, 'probe', url);
    if (!('status' in result)) return { verdict: 'ok' };
    return result.retryAfter === undefined
      ? { verdict: result.verdict }
      : { verdict: result.verdict, retryAfter: result.retryAfter };
  };
  // Our own server answers every path (404 for foreign ones, from the admission list).
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer): void =>
    handleUpgrade(upgradeContext, req, socket, head),
  );
  // --workers: resumes for a session this worker holds, handed over by another (resume-route.ts).
  acceptRoutedResumes((req, socket, head) => handleUpgrade(upgradeContext, req, socket, head));
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    if (!wsPaths.has(pathOf(req.url))) return false;
    handleUpgrade(upgradeContext, req, socket, head);
    return true;
  };

  // Once listening, server errors come from accept(): EMFILE/ENFILE when the process is out of
  // descriptors. libuv drops that one connection and keeps listening; without a listener Node
  // would throw and take every session down. Logged at most once a second, with a count.
  let acceptErrors = 0;
  let acceptErrorLoggedAt = 0;
  const onAcceptError = (err: NodeJS.ErrnoException): void => {
    acceptErrors++;
    const now = Date.now();
    if (now - acceptErrorLoggedAt < 1000) return;
    acceptErrorLoggedAt = now;
    log.warn(
      { event: 'capacity.accept', code: err.code, count: acceptErrors, sessions: sessions.size },
      'cannot accept connections: out of file descriptors? (lower limits.maxSessions)',
    );
    acceptErrors = 0;
  };

  const metricsAt = options.metricsListener === false ? undefined : config.metrics.listen;
  let metricsServer: MetricsServer | undefined;
  let metricsAddress: AddressInfo | undefined;

  return Object.assign(emitter, {
    app,
    metricsAddress: () => metricsAddress,
    metrics: metrics.registry,
    server,
    sessions,
    hosts,
    log,
    handleUpgrade: upgrade,
    reloadTls: () => tls?.reload() ?? false,
    async reloadHosts(list: readonly HostConfig[]): Promise<HostListChange> {
      const change = hosts.replace(list);
      // An `insecure: true` host is announced whenever it enters the list, not only at start.
      const fresh = new Set([...change.added, ...change.changed]);
      for (const line of hosts.insecureHosts((id) => fresh.has(id)))
        log.warn({ event: 'backend.insecure' }, line);
      if (hosts.usesDemo() && demo === undefined && server.listening)
        demo = await startDemoServer();
      return change;
    },
    async listen(port = config.listen.port, host = config.listen.host): Promise<AddressInfo> {
      // The store first: unreachable at start is an error, not a silent per-instance mode.
      await state.start();
      if (hosts.usesDemo() && demo === undefined) demo = await startDemoServer();
      await recordings?.start();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          server.on('error', onAcceptError);
          resolve();
          forwarding?.advertise((server.address() as AddressInfo).port);
        });
      });
      if (metricsAt !== undefined && metricsServer === undefined) {
        metricsServer = createMetricsServer(metrics.registry, log);
        metricsAddress = await metricsServer.listen(metricsAt.host, metricsAt.port);
      }
      return server.address() as AddressInfo;
    },
    async close(graceMs = 5000): Promise<void> {
      draining = true;
      tls?.stopWatching();
      recordings?.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      forwarding?.close();
      await sessions.closeAll(CloseCode.GOING_AWAY, 'server shutting down', graceMs);
      await state.close();
      server.closeAllConnections();
      demo?.server.close();
      await metricsServer?.close();
      wss.close();
      await closed;
    },
  });
}
