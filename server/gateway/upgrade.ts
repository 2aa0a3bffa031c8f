/**
 * The HTTP `upgrade` handler: the admission list (admission.ts) runs here, before `101` and
 * before any backend is dialled (Express middleware does not run for upgrades). Failures are
 * HTTP statuses with one log line each; an admitted request becomes a session.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Subprotocol } from '../../shared/protocol.ts';
import type { Codec, CodecOptions } from '../codec/codec.ts';
import { classify } from '../common/address.ts';
import { cap, type Logger, redactUrl } from '../common/log.ts';
import { codecProfileFor } from '../session/codec-factory.ts';
import { resumeSession } from '../session/resume.ts';
import { Session, type SessionResume } from '../session/session.ts';
import type { HostEntry } from '../targets/catalogue.ts';
import { customLookup, dialCustom } from '../targets/choose.ts';
import type { Lookup } from '../targets/dial.ts';
import { dialHost } from '../targets/host-dial.ts';
import { type AdmissionContext, type Admitted, admit, type Refusal } from './admission.ts';
import { type ForwardContext, relayForeign } from './forward.ts';
import { FORWARDED_HEADER } from './forwarded-for.ts';
import { refuse } from './refuse.ts';
import { newResumeToken, routeResume } from './resume-route.ts';
import { attachViewers, type ViewerContext, willRecord } from './viewers.ts';
import { admitWatch, isWatchRequest } from './watch.ts';

/** What the upgrade path reports (the metrics implement it). */
export interface UpgradeObserver {
  refused(status: number): void;
  /** Times a dial and counts its failure by reason; settles as `dial` does. */
  observeDial<T>(hostId: string, dial: Promise<T>): Promise<T>;
}

export interface UpgradeContext extends AdmissionContext, ViewerContext {
  observer?: UpgradeObserver;
  wss: WebSocketServer;
  log: Logger;
  /** Where `builtin:demo` listens, once started. */
  demoPort: () => number | undefined;
  createCodec: (entry: HostEntry, options: CodecOptions) => Codec | undefined;
  lookup: Lookup | undefined;
  onSession?: (session: Session) => void;
  onSessionClose?: (session: Session) => void;
  /** With `store.advertise`: relays other instances' resume and watch tokens (forward.ts). */
  forward?: ForwardContext | undefined;
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

export function handleUpgrade(
  ctx: UpgradeContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  // A module-level listener: a closure here would share this scope's context and keep `req`
  // (headers and all) and `head` alive for the whole session (about 1.5 KB each, bench conns).
  socket.on('error', destroyOnError);
  if (ctx.forward === undefined && req.headers[FORWARDED_HEADER] === undefined) {
    serveUpgrade(ctx, req, socket, head);
    return;
  }
  const local = (): void => serveUpgrade(ctx, req, socket, head);
  const here = { log: ctx.log, local, refused: ctx.observer?.refused.bind(ctx.observer) };
  if (!relayForeign(ctx.forward, req, socket, head, here)) local();
}

/** The upgrade answered by this instance. */
function serveUpgrade(
  ctx: UpgradeContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  if (routeResume(req, socket, head, ctx.log)) return;
  const ip = ctx.gate.clientIp(req);
  const deny = (r: Pick<Refusal, 'status' | 'reason' | 'headers' | 'detail'>): void => {
    ctx.log.info(
      {
        event: r.status === 401 ? 'auth.fail' : 'upgrade.refused',
        status: r.status,
        reason: r.reason,
        detail: cap(r.detail),
        ip,
        origin: cap(req.headers.origin),
        url: redactUrl(req.url),
      },
      'upgrade refused',
    );
    ctx.observer?.refused(r.status);
    refuse(socket, r.status, `${r.reason}\n`, r.headers);
  };
  if (isWatchRequest(req.url)) {
    admitWatch(ctx, req).then(
      (r) => {
        if ('status' in r) deny(r);
        else if (!socket.destroyed)
          ctx.wss.handleUpgrade(req, socket, head, (ws) =>
            r.share.addSpectator(ws, ip, r.principal.user),
          );
      },
      (err: unknown) => {
        ctx.log.error({ event: 'upgrade.error', err, ip }, 'watch upgrade failed');
        deny({ status: 503, reason: 'internal error' });
      },
    );
    return;
  }
  admit(ctx, req, 'upgrade').then(
    (result) => {
      if ('status' in result) deny(result);
      else if (socket.destroyed) result.slot.release();
      else {
        // The slot is the session's once it starts; a handshake that dies first gives it back.
        // (A resume holds none: the session it takes over keeps its own.)
        const giveBack = (): void => result.slot.release();
        socket.once('close', giveBack);
        // The 101, hello and status 'connecting' leave in one write, not three (ws writes
        // the 101 and calls back synchronously): two syscalls less per session.
        socket.cork();
        ctx.wss.handleUpgrade(req, socket, head, (ws) => {
          // Off once started: the listener's context holds req (headers and all) and head,
          // about 1.5 KB that every held session would keep.
          socket.off('close', giveBack);
          const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
          const token = params.get('resume');
          if (token === null) startSession(ctx, ws, result, ip, req);
          else
            resumeSession(
              ctx.registry,
              ws,
              {
                token,
                from: params.get('from'),
                user: result.principal.user,
                hostId: result.entry.config.id,
                ip,
              },
              ctx.log,
              ctx.config.limits.closeTimeout,
            );
        });
        socket.uncork();
      }
    },
    (err: unknown) => {
      ctx.log.error({ event: 'upgrade.error', err, ip }, 'upgrade handler failed');
      deny({ status: 503, reason: 'internal error' });
    },
  );
}

function startSession(
  ctx: UpgradeContext,
  ws: WebSocket,
  { entry, principal, custom, screenReader, slot }: Admitted,
  ip: string,
  req: IncomingMessage,
): void {
  const { config, registry, log } = ctx;
  const mode = (ws.protocol === '' ? 'binary' : ws.protocol) as Subprotocol;
  const id = randomUUID();
  const hostCfg = entry.config;
  const v1 = mode === 'porthole.v1';
  // The browser's port is known only when it connected to us directly (PROXY protocol).
  const clientPort = req.socket.remoteAddress === ip ? (req.socket.remotePort ?? 0) : 0;
  const profile = codecProfileFor(entry);
  const codecFor = (cols: number, rows: number): Codec | undefined =>
    ctx.createCodec(entry, {
      encoding: hostCfg.encoding,
      newline: hostCfg.newline,
      cols,
      rows,
      terminalType: profile.terminalType,
      screenReader,
      // MNES values are Porthole's own: the address the gate determined (SECURITY.md K6).
      mnes: hostCfg.mnes ? { ipAddress: classify(ip)?.canonical ?? '' } : undefined,
      tls: entry.protocol === 'telnets',
    });
  const hello = {
    host: {
      id: hostCfg.id,
      name: hostCfg.name,
      protocol: entry.protocol,
      input: entry.input,
      ...(hostCfg.noHistory === undefined ? {} : { noHistory: hostCfg.noHistory }),
      reconnect: hostCfg.reconnect ?? 'ask',
    },
    features: [...profile.features],
    ...(willRecord(ctx, hostCfg, v1) ? { recording: true } : {}),
    ...(hostCfg.share === true && v1 ? { share: true } : {}),
  };
  const session = new Session({
    id,
    ws,
    mode,
    clientIp: ip,
    user: principal.user,
    expiresAt: principal.expiresAt,
    hello,
    limits: config.limits,
    idleTimeoutMs: hostCfg.idleTimeout ?? config.limits.idleTimeout,
    maxSessionMs: hostCfg.maxSessionDuration ?? config.limits.maxSessionDuration,
    log,
    dial: (signal) => {
      const dialling =
        custom !== undefined
          ? dialCustom(config.customTargets, custom, {
              connectTimeoutMs: config.limits.connectTimeout,
              dnsTimeoutMs: config.limits.dnsTimeout,
              signal,
              ...customLookup(ctx.lookup),
            })
          : dialHost(entry, {
              connectTimeoutMs: config.limits.connectTimeout,
              dnsTimeoutMs: config.limits.dnsTimeout,
              signal,
              lookup: ctx.lookup,
              client: { address: ip, port: clientPort },
              demoPort: ctx.demoPort(),
              ssh: {
                principal: principal.user,
                terminalType: profile.terminalType,
                log,
                session: id,
              },
            });
      // The audit trail names the address actually dialled (a name resolves at dial time).
      const audited = dialling.then((stream) => {
        const peer = stream as { remoteAddress?: string; remotePort?: number };
        log.info(
          {
            event: 'session.dialled',
            session: id,
            address: peer.remoteAddress,
            port: peer.remotePort,
          },
          'backend connected',
        );
        return stream;
      });
      return ctx.observer === undefined ? audited : ctx.observer.observeDial(hostCfg.id, audited);
    },
    // websockify's `binary` clients get the pure byte bridge (to telnet hosts only with rawTelnet).
    createCodec: v1 ? codecFor : undefined,
    onClose: (s) => {
      slot.release();
      registry.delete(s);
      ctx.onSessionClose?.(s);
    },
    onMssp: (vars) => ctx.hosts.setMssp(hostCfg.id, vars),
    resume: resumeOptions(ctx, hostCfg.resume),
    onDetach: (_s, detached) => registry.noteDetach(detached),
  });
  registry.add(session);
  attachViewers(ctx, session, hostCfg, v1, hello);
  log.info(
    {
      event: 'session.open',
      session: id,
      ip,
      user: principal.user,
      host: hostCfg.id,
      // The address dialled, as configured (a name is resolved at dial time).
      target:
        entry.protocol === 'builtin'
          ? 'builtin:demo'
          : `${entry.target.host.includes(':') ? `[${entry.target.host}]` : entry.target.host}:${entry.target.port}`,
      mode,
      ua: cap(req.headers['user-agent']),
    },
    'session opened',
  );
  ctx.onSession?.(session);
}

/** A fresh resume token (128 random bits) and the hold, unless resume is off for the host. */
function resumeOptions(
  ctx: UpgradeContext,
  hostResume: number | undefined,
): SessionResume | undefined {
  const { limits } = ctx.config;
  const holdMs = hostResume ?? limits.resume;
  if (holdMs <= 0) return undefined;
  return {
    token: newResumeToken(ctx.config.instanceId),
    holdMs,
    bufferBytes: limits.resumeBufferBytes,
  };
}
