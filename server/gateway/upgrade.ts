/**
 * The HTTP `upgrade` handler: every check happens here, before `101` and before any
 * backend is dialled (Express middleware does not run for upgrades). Failures are HTTP
 * statuses with one log line each.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { type Subprotocol, WS_PATH } from '../../shared/protocol.ts';
import type { Codec, CodecOptions } from '../codec/codec.ts';
import { cap, type Logger, redactUrl } from '../common/log.ts';
import type { Config } from '../config/config.ts';
import type { SessionRegistry } from '../session/registry.ts';
import { Session } from '../session/session.ts';
import type { HostCatalogue, HostEntry } from '../targets/catalogue.ts';
import { chooseTarget, dialCustom } from '../targets/choose.ts';
import { type CustomTarget, TARGET_REFUSED } from '../targets/custom.ts';
import { dial, type Lookup } from '../targets/dial.ts';
import { AuthError, mayUse, type Principal } from './auth.ts';
import { handshakeProblem } from './handshake.ts';
import { type Gate, LockedOut } from './limits.ts';
import { checkOrigin } from './origin.ts';

export interface UpgradeContext {
  config: Readonly<Config>;
  hosts: HostCatalogue;
  registry: SessionRegistry;
  wss: WebSocketServer;
  gate: Gate;
  log: Logger;
  /** Where `builtin:demo` listens, once started. */
  demoPort: () => number | undefined;
  draining: () => boolean;
  createCodec: (entry: HostEntry, options: CodecOptions) => Codec | undefined;
  lookup: Lookup | undefined;
  onSession?: (session: Session) => void;
  onSessionClose?: (session: Session) => void;
  /** Replaces the configured authenticator (embedding hook). */
  authenticate?: (req: IncomingMessage) => Promise<Principal>;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  421: 'Misdirected Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** Answers a refused upgrade with a plain HTTP response and closes the socket. */
export function refuse(
  socket: Duplex,
  status: number,
  body: string,
  extra: Record<string, string> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const headers = {
    Connection: 'close',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    ...extra,
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n${head}\r\n\r\n${body}`);
  socket.destroy();
}

interface Refusal {
  status: number;
  reason: string;
  headers?: Record<string, string>;
  /** For the log line only; the browser sees `reason`. */
  detail?: string;
}

interface Admitted {
  entry: HostEntry;
  principal: Principal;
  /** The client runs a screen reader (`&sr=1`): announced to MUDs in MTTS. */
  screenReader: boolean;
  /** An opt-in `?target=host:port`, dialled only through the pinning policy. */
  custom?: CustomTarget;
}

const retry = (seconds: number): Record<string, string> => ({ 'Retry-After': String(seconds) });

/** Cheap header checks first, in order: drain, path, method, handshake, Host, lockout, rate, Origin. */
function vetRequest(ctx: UpgradeContext, req: IncomingMessage, ip: string): Refusal | URL {
  if (ctx.draining()) return { status: 503, reason: 'server is shutting down', headers: retry(5) };
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    // `//`, `/\`, `//[`: not a path at all (and a throw here would take the process down).
    return { status: 400, reason: 'bad request path' };
  }
  if (url.pathname !== WS_PATH) return { status: 404, reason: 'not a WebSocket endpoint' };
  if (req.method !== 'GET')
    return { status: 405, reason: 'method not allowed', headers: { Allow: 'GET' } };
  const malformed = handshakeProblem(req);
  if (malformed !== undefined) return malformed;
  if (!ctx.gate.hostAllowed(req)) return { status: 421, reason: 'unknown Host' };
  const banned = ctx.gate.lockout.bannedFor(ip);
  if (banned > 0)
    return { status: 429, reason: 'too many failed attempts', headers: retry(banned) };
  if (!ctx.gate.upgrades.take(ip)) {
    return {
      status: 429,
      reason: 'too many connections',
      headers: retry(ctx.gate.upgrades.retryAfterSeconds(ip)),
    };
  }
  const verdict = checkOrigin(ctx.gate.origin, req);
  if (verdict !== 'ok')
    return { status: 403, reason: verdict === 'missing' ? 'missing Origin' : 'origin not allowed' };
  return url;
}

/** Then who the client is, which host it asked for, whether it may use it, and capacity. */
async function admit(
  ctx: UpgradeContext,
  req: IncomingMessage,
  url: URL,
  ip: string,
): Promise<Refusal | Admitted> {
  let principal: Principal;
  try {
    principal = await (ctx.authenticate ?? ctx.gate.authenticate)(req);
  } catch (err) {
    if (err instanceof LockedOut)
      return {
        status: 429,
        reason: 'too many failed attempts',
        headers: retry(err.retryAfterSeconds),
      };
    if (err instanceof AuthError)
      return {
        status: err.status,
        reason: err.status === 401 ? 'authentication required' : 'forbidden',
      };
    throw err;
  }
  const choice = chooseTarget(ctx.config.customTargets, url.searchParams);
  if (choice.kind === 'refused')
    return { status: choice.error.status, reason: TARGET_REFUSED, detail: choice.error.message };
  // Authentication may have taken a while: a drain that began meanwhile wins.
  if (ctx.draining()) return { status: 503, reason: 'server is shutting down', headers: retry(5) };
  const entry =
    choice.kind === 'custom' ? choice.entry : ctx.hosts.get(url.searchParams.get('host') ?? '');
  if (entry === undefined || !mayUse(principal, entry.config.allow))
    return { status: 404, reason: 'unknown host' };
  const { limits } = ctx.config;
  const { registry } = ctx;
  if (registry.size >= limits.maxSessions)
    return { status: 503, reason: 'server at capacity', headers: retry(30) };
  if (registry.countForIp(ip) >= limits.maxSessionsPerIp) {
    return { status: 429, reason: 'too many sessions from this address', headers: retry(30) };
  }
  if (
    principal.user !== 'anonymous' &&
    registry.countForUser(principal.user) >= limits.maxSessionsPerUser
  ) {
    return { status: 429, reason: 'too many sessions for this user', headers: retry(30) };
  }
  const hostCap = entry.config.maxSessions;
  if (hostCap !== undefined && registry.countForHost(entry.config.id) >= hostCap) {
    return { status: 503, reason: 'host at capacity', headers: retry(30) };
  }
  const screenReader = url.searchParams.get('sr') === '1';
  return choice.kind === 'custom'
    ? { entry, principal, screenReader, custom: choice.target }
    : { entry, principal, screenReader };
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
  const ip = ctx.gate.clientIp(req);
  const deny = (r: Refusal): void => {
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
    refuse(socket, r.status, `${r.reason}\n`, r.headers);
  };
  const url = vetRequest(ctx, req, ip);
  if (!(url instanceof URL)) {
    deny(url);
    return;
  }
  admit(ctx, req, url, ip).then(
    (result) => {
      if ('status' in result) deny(result);
      else if (!socket.destroyed)
        ctx.wss.handleUpgrade(req, socket, head, (ws) =>
          startSession(ctx, ws, result, ip, req.headers['user-agent']),
        );
    },
    (err: unknown) => {
      ctx.log.error({ err, ip }, 'upgrade handler failed');
      deny({ status: 503, reason: 'internal error' });
    },
  );
}

function startSession(
  ctx: UpgradeContext,
  ws: WebSocket,
  { entry, principal, custom, screenReader }: Admitted,
  ip: string,
  ua: string | undefined,
): void {
  const { config, registry, log } = ctx;
  const mode = (ws.protocol === '' ? 'binary' : ws.protocol) as Subprotocol;
  const id = randomUUID();
  const hostCfg = entry.config;
  const v1 = mode === 'porthole.v1';
  const targetHost = entry.protocol === 'builtin' ? '127.0.0.1' : entry.target.host;
  const codecFor = (cols: number, rows: number): Codec | undefined =>
    ctx.createCodec(entry, {
      encoding: hostCfg.encoding,
      newline: hostCfg.newline,
      cols,
      rows,
      terminalType: 'XTERM-256COLOR',
      screenReader,
    });
  const session = new Session({
    id,
    ws,
    mode,
    clientIp: ip,
    user: principal.user,
    expiresAt: principal.expiresAt,
    hello: {
      host: { id: hostCfg.id, name: hostCfg.name, protocol: entry.protocol, input: entry.input },
      features:
        entry.protocol === 'tcp'
          ? ['flow-control']
          : ['flow-control', 'telnet', 'gmcp', 'msdp', 'mxp', 'echo', 'prompt'],
    },
    limits: config.limits,
    idleTimeoutMs: hostCfg.idleTimeout ?? config.limits.idleTimeout,
    maxSessionMs: hostCfg.maxSessionDuration ?? config.limits.maxSessionDuration,
    log,
    dial: (signal) =>
      custom !== undefined
        ? dialCustom(config.customTargets, custom, {
            connectTimeoutMs: config.limits.connectTimeout,
            dnsTimeoutMs: config.limits.dnsTimeout,
            signal,
          })
        : dial({
            host: targetHost,
            port: entry.protocol === 'builtin' ? (ctx.demoPort() ?? 0) : entry.target.port,
            connectTimeoutMs: config.limits.connectTimeout,
            dnsTimeoutMs: config.limits.dnsTimeout,
            signal,
            ...(ctx.lookup === undefined ? {} : { lookup: ctx.lookup }),
          }),
    // websockify's `binary` clients get the pure byte bridge, even to telnet hosts.
    createCodec: v1 ? codecFor : undefined,
    onClose: (s) => {
      registry.delete(s);
      ctx.onSessionClose?.(s);
    },
    onMssp: (vars) => ctx.hosts.setMssp(hostCfg.id, vars),
  });
  registry.add(session);
  log.info(
    {
      event: 'session.open',
      session: id,
      ip,
      user: principal.user,
      host: hostCfg.id,
      mode,
      ua: cap(ua),
    },
    'session opened',
  );
  ctx.onSession?.(session);
}
