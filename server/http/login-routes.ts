/** The password mode's login and logout routes: the form, its CSRF check, lockout, the cookie. */
import express, { type Request } from 'express';
import { cap, type Logger } from '../common/log.ts';
import type { Config } from '../config/config.ts';
import { readCookie, SESSION_COOKIE } from '../gateway/auth.ts';
import type { Gate } from '../gateway/limits.ts';
import { checkLogin } from '../gateway/login.ts';
import { checkOrigin } from '../gateway/origin.ts';
import { renderLoginPage } from './login-page.ts';

export interface LoginParts {
  config: Readonly<Config>;
  gate: Gate;
  log: Logger;
}

/** The password mode's pages: GET/POST /login and POST /logout (nothing in other modes). */
export function mountLogin(app: express.Router, { config, gate, log }: LoginParts): void {
  if (config.auth.mode !== 'password') return;
  const auth = config.auth;
  const secure = config.tls !== undefined || (config.publicUrl?.startsWith('https:') ?? false);
  app.get('/login', (req, res) => {
    res
      .type('html')
      .send(renderLoginPage({ failed: req.query.failed === '1', basePath: config.basePath }));
  });
  app.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const ip = gate.clientIp(req);
    if (crossSiteForm(gate, req)) {
      log.info(
        { event: 'auth.refused', ip, mode: 'password', origin: cap(req.headers.origin) },
        'login from a foreign origin refused',
      );
      res.status(403).type('text/plain').send('Forbidden.\n');
      return;
    }
    const body = req.body as Record<string, unknown> | undefined;
    const name = typeof body?.user === 'string' ? body.user : '';
    const password = typeof body?.password === 'string' ? body.password : '';
    const result = await checkLogin(gate, auth, ip, name, password);
    if (result.kind === 'locked' || result.kind === 'busy') {
      const retryAfter = result.kind === 'locked' ? result.retryAfter : 5;
      log.info(
        { event: 'auth.locked', ip, mode: 'password', retryAfter, busy: result.kind === 'busy' },
        'login refused',
      );
      res
        .status(result.kind === 'locked' ? 429 : 503)
        .set('Retry-After', String(retryAfter))
        .type('text/plain')
        .send(result.kind === 'locked' ? 'Too many failed attempts.\n' : 'Busy, try again.\n');
      return;
    }
    if (result.kind === 'failed') {
      log.info({ event: 'auth.fail', ip, mode: 'password' }, 'login failed');
      res.redirect(303, `${config.basePath}login?failed=1`);
      return;
    }
    const { user } = result;
    const expiresAt = Date.now() + auth.sessionTtl;
    const cookie = gate.signer.sign({ user: user.name, groups: user.groups, expiresAt });
    res.cookie(SESSION_COOKIE, cookie, {
      httpOnly: true,
      secure,
      sameSite: 'strict',
      path: '/',
      maxAge: auth.sessionTtl,
    });
    log.info({ event: 'auth.ok', ip, user: user.name }, 'login');
    res.redirect(303, config.basePath);
  });
  app.post('/logout', (req, res) => {
    const cookie = readCookie(req, SESSION_COOKIE);
    if (cookie !== undefined) gate.signer.revoke(cookie);
    res.clearCookie(SESSION_COOKIE, { path: '/' }).redirect(303, `${config.basePath}login`);
  });
}

/**
 * Login CSRF: a foreign page must not sign a visitor in to an account of its choosing.
 * Sec-Fetch-Site says where a form came from even when, under our no-referrer policy, the
 * browser sends `Origin: null`; browsers without it send a real Origin, checked as for
 * upgrades. Neither header: not a browser, so not a CSRF.
 */
function crossSiteForm(gate: Gate, req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = req.headers.origin;
  return origin !== undefined && origin !== 'null' && checkOrigin(gate.origin, req) !== 'ok';
}
