/**
 * Recordings over HTTP, for users in `recording.admins` (default: `admins`): `GET /api/recordings` (the list),
 * `GET /api/recordings/ID` (the .cast file; `?download=1` as an attachment), and the pages
 * that need no data of their own: `/replay/ID` (the player) and `/watch/TOKEN` (spectators).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type express from 'express';
import type { Request, Response } from 'express';
import type { Logger } from '../common/log.ts';
import type { AdminsConfig } from '../config/share-schema.ts';
import { mayUse, type Principal } from '../gateway/auth.ts';
import type { RecordingStore } from '../session/recording-store.ts';

type Authed = Request & { principal?: Principal };

/** Mounts the recordings API on the authenticated `api` router (when recording is configured). */
export function mountRecordingsApi(
  api: express.Router,
  store: RecordingStore,
  admins: AdminsConfig,
  log: Logger,
): void {
  const allowed = store.config.admins ?? admins;
  const admin = (req: Authed, res: Response): boolean => {
    if (req.principal !== undefined && mayUse(req.principal, allowed)) return true;
    log.info(
      { event: 'recording.refused', user: req.principal?.user, url: req.originalUrl },
      'recordings: not an admin',
    );
    res.status(403).json({ error: 'forbidden', message: 'Recordings are for admins.' });
    return false;
  };
  api.get('/recordings', (req: Authed, res, next) => {
    if (!admin(req, res)) return;
    store.list().then((recordings) => {
      res.set('Cache-Control', 'no-store').json({ recordings });
    }, next);
  });
  api.get('/recordings/:id', (req: Authed, res) => {
    if (!admin(req, res)) return;
    const id = String(req.params.id);
    const path = store.pathOf(id);
    if (path === undefined || !existsSync(path)) {
      res.status(404).json({ error: 'not-found', message: 'No such recording.' });
      return;
    }
    log.info({ event: 'recording.read', user: req.principal?.user, id }, 'recording read');
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    if (req.query.download === '1')
      headers['Content-Disposition'] = `attachment; filename="${id}.cast"`;
    res.type('application/x-asciicast');
    res.sendFile(path, { headers, dotfiles: 'deny' }, (err) => {
      if (err !== undefined && !res.headersSent) res.status(404).end();
    });
  });
}

/**
 * `/replay/ID`, `/watch/TOKEN` and `/sessions/`: pages of the client build, with `<base href>` = basePath
 * like index.html (their URLs are relative to it); they fetch what they need themselves.
 */
export function mountViewerPages(app: express.Router, clientDir: string, basePath: string): void {
  for (const [route, name] of [
    ['/replay', 'replay.html'],
    ['/replay/:id', 'replay.html'],
    ['/watch/:token', 'watch.html'],
    ['/sessions', 'sessions.html'],
  ] as const) {
    const file = join(clientDir, name);
    if (!existsSync(file)) continue;
    const page = readFileSync(file, 'utf8').replace(
      /<head>/i,
      `<head>\n    <base href="${basePath}" />`,
    );
    app.get(route, (_req, res) => {
      res.set('Cache-Control', 'no-cache').type('html').send(page);
    });
  }
}
