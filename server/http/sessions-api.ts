/**
 * The admin view: `GET /api/sessions` lists the live sessions, `DELETE /api/sessions/ID` ends
 * one (close code 4030). For `admins` only; with `auth.mode: none` it is off (404) unless
 * `admins.withoutAuth` is true. A DELETE must come from our own pages (CSRF).
 */
import type express from 'express';
import type { Request, Response } from 'express';
import type { AdminSessionsResponse } from '../../shared/api.ts';
import { CloseCode } from '../../shared/close-codes.ts';
import type { Logger } from '../common/log.ts';
import type { Config } from '../config/config.ts';
import { mayUse, type Principal } from '../gateway/auth.ts';
import type { SessionDirectory } from '../gateway/ipc-sessions.ts';
import type { Gate } from '../gateway/limits.ts';
import { checkOrigin } from '../gateway/origin.ts';
import type { SessionRegistry } from '../session/registry.ts';

type Authed = Request & { principal?: Principal };

export type { SessionDirectory };

/** The admin API's view of this process alone. */
export function localDirectory(registry: SessionRegistry): SessionDirectory {
  return {
    list: () => Promise.resolve(registry.summaries()),
    end: (id) =>
      Promise.resolve(
        registry.end(id, CloseCode.ADMIN_ENDED, 'ended by an administrator', 'admin'),
      ),
  };
}

/** Whether the admin API is served at all under this config. */
export function adminApiEnabled(config: Readonly<Config>): boolean {
  return config.auth.mode !== 'none' || config.admins.withoutAuth;
}

/** A request our own pages made: Sec-Fetch-Site same-origin, or an Origin we accept. */
function sameOrigin(gate: Gate, req: Request): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') return checkOrigin(gate.origin, req) === 'ok';
  return req.headers['sec-fetch-site'] === 'same-origin';
}

/** Mounts the admin API on the authenticated `api` router. */
export function mountSessionsApi(
  api: express.Router,
  parts: { config: Readonly<Config>; gate: Gate; log: Logger; sessions: SessionDirectory },
): void {
  const { config, gate, log, sessions } = parts;
  if (!adminApiEnabled(config)) return;
  const open = config.auth.mode === 'none';
  const admin = (req: Authed, res: Response): boolean => {
    if (open || (req.principal !== undefined && mayUse(req.principal, config.admins))) return true;
    log.info(
      { event: 'admin.refused', user: req.principal?.user, url: req.originalUrl },
      'admin api: not an admin',
    );
    res.status(403).json({ error: 'forbidden', message: 'The session list is for admins.' });
    return false;
  };
  api.get('/sessions', (req: Authed, res, next) => {
    if (!admin(req, res)) return;
    sessions.list().then((list) => {
      const body: AdminSessionsResponse = { sessions: list };
      res.set('Cache-Control', 'no-store').json(body);
    }, next);
  });
  api.delete('/sessions/:id', (req: Authed, res, next) => {
    if (!admin(req, res)) return;
    if (!sameOrigin(gate, req)) {
      log.info({ event: 'admin.refused', user: req.principal?.user }, 'admin api: cross-site');
      res.status(403).json({ error: 'cross-site', message: 'Send this from the same origin.' });
      return;
    }
    const id = String(req.params.id);
    sessions.end(id).then((ended) => {
      log.info({ event: 'admin.end', user: req.principal?.user, session: id, ended }, 'admin end');
      if (ended) res.status(204).end();
      else res.status(404).json({ error: 'not-found', message: 'No such session.' });
    }, next);
  });
}
