/**
 * The Express side: security headers, the Host check, the JSON API (authenticated like
 * upgrades), the password mode's login page, health, metrics, and the built client.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import type { AdmitAnswer, HostsResponse } from '../../shared/api.ts';
import { SUBPROTOCOLS } from '../../shared/protocol.ts';
import { type Logger, redactUrl } from '../common/log.ts';
import type { Config } from '../config/config.ts';
import { AuthError, mayUse, type Principal } from '../gateway/auth.ts';
import { type Gate, LockedOut } from '../gateway/limits.ts';
import { StoreUnavailable } from '../gateway/shared-state.ts';
import { VerifyBusy } from '../gateway/verify-queue.ts';
import type { RecordingStore } from '../session/recording-store.ts';
import type { HostCatalogue } from '../targets/catalogue.ts';
import { mountLogin } from './login-routes.ts';
import { mountRecordingsApi, mountViewerPages } from './recordings.ts';
import { mountSessionsApi, type SessionDirectory } from './sessions-api.ts';

export interface AppParts {
  config: Readonly<Config>;
  hosts: HostCatalogue;
  gate: Gate;
  log: Logger;
  clientDir: string;
  metrics: Registry;
  isDraining: () => boolean;
  explain: (req: IncomingMessage, hostId: string) => Promise<AdmitAnswer>;
  /** Recording's directory (GET /api/recordings); undefined without a `recording` section. */
  recordings?: RecordingStore | undefined;
  /** The live sessions, for the admin API (`GET/DELETE /api/sessions`). */
  sessions: SessionDirectory;
}

type Authed = Request & { principal?: Principal };

export function createExpressApp(parts: AppParts): Express {
  const { config, gate, metrics, isDraining } = parts;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustedProxies.length === 0 ? false : [...config.trustedProxies]);
  app.use(securityHeaders(config));
  // Probes come from the kubelet or Docker by pod address: no Host check, and they tell nothing.
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', (_req, res) => {
    if (isDraining()) res.status(503).json({ ok: false, draining: true });
    else res.json({ ok: true });
  });
  app.use((req, res, next) => {
    if (gate.hostAllowed(req)) next();
    else res.status(421).type('text/plain').send('unknown Host\n');
  });
  // With a metrics listener of its own, the public port has no /metrics; without one, only
  // this machine may scrape it (never through a proxy).
  if (config.metrics.listen === undefined) {
    app.get('/metrics', (req, res, next) => {
      if (!isLocalScrape(req)) {
        next();
        return;
      }
      metrics
        .metrics()
        .then((text) => res.set('Content-Type', metrics.contentType).send(text), next);
    });
  }
  const router = express.Router();
  mountRoutes(router, parts);
  app.use(config.basePath, router);
  app.use((_req: Request, res: Response) => {
    res.status(404).type('text/plain').send('Not found\n');
  });
  // Last: Express's default handler would send the stack trace (outside NODE_ENV=production).
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = httpStatusOf(err);
    if (status >= 500)
      parts.log.error({ event: 'http.error', err, url: redactUrl(req.url) }, 'request failed');
    else
      parts.log.info(
        { event: 'http.refused', status, url: redactUrl(req.url), reason: (err as Error).message },
        'request refused',
      );
    if (!res.headersSent)
      res
        .status(status)
        .type('text/plain')
        .send(status >= 500 ? 'Internal error\n' : 'Bad request\n');
  });
  return app;
}

/** A scrape from this machine itself, not relayed by a proxy on it. */
function isLocalScrape(req: Request): boolean {
  const peer = req.socket.remoteAddress ?? '';
  const local = peer === '::1' || peer.startsWith('127.') || peer.startsWith('::ffff:127.');
  return local && req.headers['x-forwarded-for'] === undefined;
}

/** Everything under basePath: login, the JSON API, the --web directory and the client. */
function mountRoutes(app: express.Router, parts: AppParts): void {
  const { config, hosts, clientDir } = parts;
  if (config.auth.mode === 'password') mountLogin(app, parts);
  // Outside the auth guard: "you need to sign in" is one of the answers it gives.
  app.get('/api/admit', (req, res, next) => {
    const host = typeof req.query.host === 'string' ? req.query.host : '';
    parts
      .explain(req, host)
      .then((answer) => res.set('Cache-Control', 'no-store').json(answer), next);
  });
  const api = express.Router();
  api.use(requireAuth(parts));
  api.get('/hosts', (req: Authed, res) => {
    const visible = hosts
      .list()
      .filter((h) => req.principal !== undefined && mayUse(req.principal, h.config.allow));
    const user = req.principal?.user;
    const body: HostsResponse = {
      hosts: visible.map((h) => hosts.toPublic(h)),
      ...(user === undefined ? {} : { user }),
    };
    res.set('Cache-Control', 'no-store').json(body);
  });
  api.get('/hosts/:id', (req: Authed, res) => {
    const entry = hosts.get(String(req.params.id));
    if (
      entry === undefined ||
      req.principal === undefined ||
      !mayUse(req.principal, entry.config.allow)
    ) {
      res.status(404).json({ error: 'unknown-host', message: 'No such host.' });
    } else res.set('Cache-Control', 'no-store').json(hosts.toPublic(entry));
  });
  api.get('/info', (_req, res) => {
    res.json({
      subprotocols: SUBPROTOCOLS,
      windowBytes: config.limits.highWaterBytes,
      auth: config.auth.mode,
    });
  });
  if (parts.recordings !== undefined)
    mountRecordingsApi(api, parts.recordings, config.admins, parts.log);
  mountSessionsApi(api, parts);
  app.use('/api', api);
  mountViewerPages(app, clientDir, config.basePath);
  if (config.web !== undefined) app.use(express.static(config.web, { index: ['index.html'] }));
  const indexFile = join(clientDir, 'index.html');
  if (existsSync(indexFile)) {
    // The page with <base href="BASEPATH">: the client's URLs are relative to it, so it works
    // under any basePath and from deep links /h/ID (the client reads the id from the path).
    const page = readFileSync(indexFile, 'utf8').replace(
      /<head>/i,
      `<head>\n    <base href="${config.basePath}" />`,
    );
    const sendPage = (_req: Request, res: Response): void => {
      res.set('Cache-Control', 'no-cache').type('html').send(page);
    };
    app.get(['/', '/index.html', '/h/:id'], sendPage);
    app.use(express.static(clientDir, { index: false, maxAge: '1h' }));
  } else {
    app.get('/', (_req, res) => {
      res
        .status(503)
        .type('text/plain')
        .send('The client is not built yet: run `npm run build`.\n');
    });
  }
}

function securityHeaders(config: Readonly<Config>): ReturnType<typeof helmet> {
  const https = config.tls !== undefined || (config.publicUrl?.startsWith('https:') ?? false);
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // xterm.js's DOM renderer creates <style> elements and style attributes.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        // 'self': the page's <base href> names the basePath (an injected one elsewhere is refused).
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors:
          config.frameAncestors.length === 0 ? ["'none'"] : [...config.frameAncestors],
      },
    },
    // Embedding sites are governed by frame-ancestors; X-Frame-Options cannot list them.
    xFrameOptions: config.frameAncestors.length === 0 ? { action: 'deny' } : false,
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: https ? { maxAge: 31_536_000 } : false,
  });
}

function requireAuth({ gate, log, config }: AppParts) {
  return (req: Authed, res: Response, next: NextFunction): void => {
    gate.authenticate(req).then(
      (p) => {
        req.principal = p;
        next();
      },
      (err: unknown) => {
        if (err instanceof LockedOut) {
          log.info(
            { event: 'auth.locked', ip: gate.clientIp(req), retryAfter: err.retryAfterSeconds },
            'api auth refused',
          );
          res
            .status(429)
            .set('Retry-After', String(err.retryAfterSeconds))
            .json({ error: 'locked-out' });
        } else if (err instanceof AuthError) {
          log.info(
            { event: 'auth.fail', ip: gate.clientIp(req), reason: err.message },
            'api auth refused',
          );
          // Relative to the page's <base href> (basePath), where the client resolves it.
          const login = config.auth.mode === 'password' ? { login: 'login' } : {};
          res.status(err.status).json({ error: 'auth-required', ...login });
        } else if (err instanceof VerifyBusy || err instanceof StoreUnavailable) {
          res.status(503).set('Retry-After', '5').json({ error: 'busy' });
        } else next(err);
      },
    );
  };
}

/** The status an error asks for (body-parser and friends set `status`), else 500. */
function httpStatusOf(err: unknown): number {
  const status =
    typeof err === 'object' && err !== null && 'status' in err ? err.status : undefined;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}
