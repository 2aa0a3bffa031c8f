/**
 * A browser comes back: `/ws?host=ID&resume=TOKEN&from=N` (issue 13). Admission (origin,
 * authentication, host) has run as for any session; here the token is checked against the
 * live sessions. A refusal is a close code of its own and never touches the backend.
 */
import type { WebSocket } from 'ws';
import { CloseCode, SUBPROTOCOL } from '../../shared/protocol.ts';
import type { Logger } from '../common/log.ts';
import type { SessionRegistry } from './registry.ts';

/** 128 random bits, base64url; after the `instanceId` (`a.`) and the worker's id (`2.`). */
const TOKEN = /^(?:[a-z][a-z0-9-]{0,31}\.)?(?:\d{1,3}\.)?[A-Za-z0-9_-]{22}$/;

export interface ResumeRequest {
  token: string;
  from: string | null;
  /** Who asks (the authenticated principal) and for which host. */
  user: string;
  hostId: string;
  ip: string;
}

export function resumeSession(
  registry: SessionRegistry,
  ws: WebSocket,
  req: ResumeRequest,
  log: Logger,
  closeTimeoutMs: number,
): void {
  const refuse = (code: number, reason: string): void => {
    log.info(
      {
        event: 'session.resume-refused',
        ip: req.ip,
        user: req.user,
        host: req.hostId,
        code,
        reason,
      },
      'resume refused',
    );
    ws.close(code, reason);
    setTimeout(() => ws.terminate(), closeTimeoutMs).unref();
  };
  if (ws.protocol !== SUBPROTOCOL || !TOKEN.test(req.token)) {
    refuse(CloseCode.RESUME_BAD, 'bad resume token');
    return;
  }
  const session = registry.byToken(req.token);
  if (session === undefined) {
    if (registry.tokenEnded(req.token)) refuse(CloseCode.RESUME_EXPIRED, 'session has ended');
    else refuse(CloseCode.RESUME_BAD, 'unknown resume token');
    return;
  }
  if (session.user !== req.user || session.hostId !== req.hostId) {
    refuse(CloseCode.RESUME_FOREIGN, 'not your session');
    return;
  }
  const from = Number(req.from ?? '');
  if (req.from === null || !/^\d{1,16}$/.test(req.from) || !session.attach(ws, from, req.ip)) {
    refuse(CloseCode.RESUME_BAD, 'bad resume offset');
    return;
  }
  registry.noteResume();
}
