/**
 * createPorthole(): the Express app (client build, /api, health, metrics), an HTTP server
 * and a `ws` server in noServer mode on one port. Also the library entry point for apps
 * that embed Porthole in their own http.Server.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { WebSocketServer } from 'ws';
import { CloseCode, chooseSubprotocol, SUBPROTOCOLS } from '../shared/protocol.ts';
import { createCodecFor } from './codecs.ts';
import type { Config } from './config.ts';
import { startDemoServer } from './demo.ts';
import { HostCatalogue } from './hosts.ts';
import { createLogger, type Logger } from './log.ts';
import { createMetrics } from './metrics.ts';
import { createOriginPolicy } from './origin.ts';
import { CLIENT_DIR } from './paths.ts';
import { SessionRegistry } from './registry.ts';
import type { Session } from './session.ts';
import { handleUpgrade } from './upgrade.ts';

export interface PortholeOptions {
  config: Readonly<Config>;
  logger?: Logger;
  /** Directory of the built client; defaults to dist/public in the package. */
  clientDir?: string;
}

export interface PortholeEvents {
  session: [session: Session];
}

export interface Porthole extends EventEmitter<PortholeEvents> {
  readonly app: Express;
  readonly server: Server;
  readonly sessions: SessionRegistry;
  readonly hosts: HostCatalogue;
  readonly log: Logger;
  /** Starts the demo host (if configured) and listens; resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** The `upgrade` handler, for attaching to a server of your own. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Stops accepting, closes sessions with 1001 and shuts down within graceMs. */
  close(graceMs?: number): Promise<void>;
}

/** Builds a Porthole instance from a validated config. */
export function createPorthole(options: PortholeOptions): Porthole {
  const { config } = options;
  const log = options.logger ?? createLogger(config.log.level);
  const clientDir = options.clientDir ?? CLIENT_DIR;
  const hosts = new HostCatalogue(config.hosts);
  const sessions = new SessionRegistry();
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
  const metrics = createMetrics(sessions);
  const app = createExpressApp({ config, hosts, clientDir, metrics, isDraining: () => draining });
  const server = createServer(
    { headersTimeout: 10_000, requestTimeout: 15_000, maxHeaderSize: 8192 },
    app,
  );
  server.maxHeadersCount = 100;
  const origin = createOriginPolicy(config.origins, config.publicUrl, {
    allowMissing: config.allowMissingOrigin,
    secure: false,
  });
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void =>
    handleUpgrade(
      {
        config,
        hosts,
        registry: sessions,
        wss,
        origin,
        log,
        demoPort: () => demo?.port,
        draining: () => draining,
        createCodec: createCodecFor,
        onSession: (s) => emitter.emit('session', s),
      },
      req,
      socket,
      head,
    );
  server.on('upgrade', upgrade);

  return Object.assign(emitter, {
    app,
    server,
    sessions,
    hosts,
    log,
    handleUpgrade: upgrade,
    async listen(port = config.listen.port, host = config.listen.host): Promise<AddressInfo> {
      if (hosts.usesDemo() && demo === undefined) demo = await startDemoServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return server.address() as AddressInfo;
    },
    async close(graceMs = 5000): Promise<void> {
      draining = true;
      server.off('upgrade', upgrade);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await sessions.closeAll(CloseCode.GOING_AWAY, 'server shutting down', graceMs);
      server.closeAllConnections();
      demo?.server.close();
      wss.close();
      await closed;
    },
  });
}

interface AppParts {
  config: Readonly<Config>;
  hosts: HostCatalogue;
  clientDir: string;
  metrics: ReturnType<typeof createMetrics>;
  isDraining: () => boolean;
}

function createExpressApp({ config, hosts, clientDir, metrics, isDraining }: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          // xterm.js's DOM renderer creates <style> elements and style attributes (TOOLCHAIN.md §4).
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
      strictTransportSecurity: config.publicUrl?.startsWith('https:') ?? false,
    }),
  );
  app.get('/api/hosts', (_req, res) => {
    res
      .set('Cache-Control', 'no-store')
      .json({ hosts: hosts.list().map((h) => hosts.toPublic(h)) });
  });
  app.get('/api/hosts/:id', (req, res) => {
    const entry = hosts.get(req.params.id);
    if (entry === undefined)
      res.status(404).json({ error: 'unknown-host', message: 'No such host.' });
    else res.set('Cache-Control', 'no-store').json(hosts.toPublic(entry));
  });
  app.get('/api/info', (_req, res) => {
    res.json({ subprotocols: SUBPROTOCOLS, windowBytes: config.limits.highWaterBytes });
  });
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', (_req, res) => {
    if (isDraining()) res.status(503).json({ ok: false, draining: true });
    else res.json({ ok: true });
  });
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  if (existsSync(clientDir)) {
    app.use(
      express.static(clientDir, { index: 'index.html', maxAge: '1h', setHeaders: noCacheHtml }),
    );
    // Deep links /h/ID serve the same page; the client reads the id from the path.
    app.get('/h/:id', (_req, res) =>
      res.sendFile(join(clientDir, 'index.html'), { headers: { 'Cache-Control': 'no-cache' } }),
    );
  } else {
    app.get('/', (_req, res) => {
      res
        .status(503)
        .type('text/plain')
        .send('The client is not built yet: run `npm run build`.\n');
    });
  }
  return app;
}

function noCacheHtml(res: import('express').Response, path: string): void {
  if (path.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
}
