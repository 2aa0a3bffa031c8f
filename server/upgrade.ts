/**
 * The HTTP `upgrade` handler: every check happens here, before `101` and before any
 * backend is dialled (Express middleware does not run for upgrades). Failures are HTTP
 * statuses with one log line each.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { type Subprotocol, WS_PATH } from '../shared/protocol.ts';
import { dial } from './backend.ts';
import type { Codec, CodecOptions } from './codec.ts';
import type { Config } from './config.ts';
import type { HostCatalogue, HostEntry } from './hosts.ts';
import { cap, type Logger } from './log.ts';
import { checkOrigin, type OriginPolicy } from './origin.ts';
import type { SessionRegistry } from './registry.ts';
import { Session } from './session.ts';

export interface UpgradeContext {
  config: Readonly<Config>;
  hosts: HostCatalogue;
  registry: SessionRegistry;
  wss: WebSocketServer;
  origin: OriginPolicy;
  log: Logger;
  /** Where `builtin:demo` listens, once started. */
  demoPort: () => number | undefined;
  draining: () => boolean;
  createCodec: (entry: HostEntry, options: CodecOptions) => Codec | undefined;
  onSession?: (session: Session) => void;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
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

export function clientIp(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

interface Refusal {
  status: number;
  reason: string;
  headers?: Record<string, string>;
}

/** Every pre-upgrade check, in order: drain, path, method, origin, host id, capacity. */
function vet(ctx: UpgradeContext, req: IncomingMessage, ip: string): HostEntry | Refusal {
  if (ctx.draining())
    return { status: 503, reason: 'server is shutting down', headers: { 'Retry-After': '5' } };
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== WS_PATH) return { status: 404, reason: 'not a WebSocket endpoint' };
  if (req.method !== 'GET')
    return { status: 405, reason: 'method not allowed', headers: { Allow: 'GET' } };
  const verdict = checkOrigin(ctx.origin, req);
  if (verdict !== 'ok')
    return { status: 403, reason: verdict === 'missing' ? 'missing Origin' : 'origin not allowed' };
  const entry = ctx.hosts.get(url.searchParams.get('host') ?? '');
  if (entry === undefined) return { status: 404, reason: 'unknown host' };
  const { limits } = ctx.config;
  if (ctx.registry.size >= limits.maxSessions) {
    return { status: 503, reason: 'server at capacity', headers: { 'Retry-After': '30' } };
  }
  if (ctx.registry.countForIp(ip) >= limits.maxSessionsPerIp) {
    return {
      status: 429,
      reason: 'too many sessions from this address',
      headers: { 'Retry-After': '30' },
    };
  }
  return entry;
}

export function handleUpgrade(
  ctx: UpgradeContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  socket.on('error', () => socket.destroy());
  const ip = clientIp(req);
  const result = vet(ctx, req, ip);
  if ('status' in result) {
    const { status, reason } = result;
    ctx.log.info(
      {
        event: 'upgrade.refused',
        status,
        reason,
        ip,
        origin: cap(req.headers.origin),
        url: cap(req.url),
      },
      'upgrade refused',
    );
    refuse(socket, status, `${reason}\n`, result.headers);
    return;
  }
  ctx.wss.handleUpgrade(req, socket, head, (ws) => startSession(ctx, ws, result, ip));
}

function startSession(ctx: UpgradeContext, ws: WebSocket, entry: HostEntry, ip: string): void {
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
      screenReader: false,
    });
  const session = new Session({
    id,
    ws,
    mode,
    clientIp: ip,
    hello: {
      host: { id: hostCfg.id, name: hostCfg.name, protocol: entry.protocol, input: entry.input },
      features:
        entry.protocol === 'tcp'
          ? ['flow-control']
          : ['flow-control', 'telnet', 'gmcp', 'echo', 'prompt'],
    },
    limits: config.limits,
    idleTimeoutMs: hostCfg.idleTimeout ?? config.limits.idleTimeout,
    maxSessionMs: hostCfg.maxSessionDuration ?? config.limits.maxSessionDuration,
    log,
    dial: (signal) =>
      dial({
        host: targetHost,
        port: entry.protocol === 'builtin' ? (ctx.demoPort() ?? 0) : entry.target.port,
        connectTimeoutMs: config.limits.connectTimeout,
        dnsTimeoutMs: config.limits.dnsTimeout,
        signal,
      }),
    // websockify's `binary` clients get the pure byte bridge, even to telnet hosts.
    createCodec: v1 ? codecFor : undefined,
    onClose: (s) => registry.delete(s),
    onMssp: (vars) => ctx.hosts.setMssp(hostCfg.id, vars),
  });
  registry.add(session);
  log.info({ event: 'session.open', session: id, ip, host: hostCfg.id, mode }, 'session opened');
  ctx.onSession?.(session);
}
