/**
 * Several instances with a store (`store.advertise`): a resume token or watch link starts
 * with the id of the instance that holds its session (`i3f2c….` + 128 random bits). An
 * instance that receives one of another's looks up that instance's address in the store and
 * relays the whole upgrade there at the TCP level: the request head as received (plus a
 * signed X-Porthole-Forwarded-For, forwarded-for.ts) and any bytes already read, then both
 * sockets are piped. The owner runs its full admission (auth, Origin, Host, limits) on the
 * client's address. One hop only: a relayed request is never relayed again. When the owner
 * is unknown, unreachable or slow to accept, the request is answered here as before (a
 * resume gets 4020 and starts afresh, a watch link 404).
 *
 * Written by hand: a generic HTTP proxy library would re-parse and re-write the request,
 * while all that is needed is bytes in, bytes out, after one header.
 */
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../common/log.ts';
import type { Config } from '../config/config.ts';
import { FORWARDED_HEADER, signForwarded, verifyForwarded } from './forwarded-for.ts';
import type { Gate } from './limits.ts';
import type { InstanceDirectory } from './redis-instances.ts';
import { RedisState } from './redis-state.ts';
import { refuse } from './refuse.ts';

export interface ForwardContext {
  directory: InstanceDirectory;
  log: Logger;
  connectTimeoutMs: number;
  clientIp(req: IncomingMessage): string;
  fromTrustedProxy(req: IncomingMessage): boolean;
  /** Counts relays by outcome (metrics), if wanted. */
  counted?: (outcome: 'relayed' | 'unknown' | 'unreachable') => void;
  /** Relays running (client sockets): cut on shutdown, as they belong to no session here. */
  live: Set<Duplex>;
}

/** Relays being looked up or connected at once, at most (beyond: answered here). */
const MAX_PENDING = 256;
/** The same, per owner: one dead or slow instance cannot take every slot. */
const MAX_PENDING_PER_OWNER = 32;
/** An owner that could not be reached is answered here at once for this long. */
const UNREACHABLE_MS = 5000;
/** Owners remembered as unreachable, at most (the oldest is forgotten first). */
const MAX_UNREACHABLE = 1024;
let pending = 0;
const pendingFor = new Map<string, number>();
const unreachableUntil = new Map<string, number>();

/** Whether `owner` failed a connect within UNREACHABLE_MS (then its tokens are answered here). */
function knownUnreachable(owner: string): boolean {
  const until = unreachableUntil.get(owner);
  if (until === undefined) return false;
  if (until > Date.now()) return true;
  unreachableUntil.delete(owner);
  return false;
}

function markUnreachable(owner: string): void {
  unreachableUntil.delete(owner);
  if (unreachableUntil.size >= MAX_UNREACHABLE) {
    const oldest = unreachableUntil.keys().next().value;
    if (oldest !== undefined) unreachableUntil.delete(oldest);
  }
  unreachableUntil.set(owner, Date.now() + UNREACHABLE_MS);
}

/** The instance id at the start of a resume or watch token in the URL, if any. */
function ownerOf(url: string | undefined): { owner: string; kind: 'resume' | 'watch' } | undefined {
  const m = /[?&](resume|watch)=([a-z][a-z0-9-]{0,31})\./.exec(url ?? '');
  if (m === null) return undefined;
  return { owner: m[2] ?? '', kind: m[1] === 'watch' ? 'watch' : 'resume' };
}

/**
 * Refuses an upgrade whose relay header does not verify (forged, stale, or sent where no
 * store key is known), or relays one for another instance (then `local` if it cannot be).
 * False when this instance is to answer it (the caller does).
 */
export function relayForeign(
  ctx: ForwardContext | undefined,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  here: { log: Logger; local: () => void; refused?: ((status: number) => void) | undefined },
): boolean {
  const route = routeUpgrade(ctx, req);
  if (route === undefined) return false;
  if ('refused' in route) {
    here.log.warn(
      {
        event: 'upgrade.refused',
        status: 403,
        reason: `forwarded-for ${route.refused}`,
        peer: req.socket.remoteAddress,
      },
      'relayed upgrade refused: its client address does not verify',
    );
    here.refused?.(403);
    refuse(socket, 403, 'bad relay signature\n');
  } else if (ctx !== undefined)
    relay(ctx, req, socket, head, route.owner).then(
      (taken) => taken || here.local(),
      () => here.local(),
    );
  return true;
}

/** Answer here (undefined), relay to `owner`, or refuse. */
function routeUpgrade(
  ctx: ForwardContext | undefined,
  req: IncomingMessage,
): { owner: string } | { refused: string } | undefined {
  const verdict = verifyForwarded(ctx?.directory.signingKey(), req);
  if (verdict === 'ok' || ctx === undefined)
    return verdict === 'ok' || verdict === 'absent' ? undefined : { refused: verdict };
  if (verdict !== 'absent') return { refused: verdict };
  const found = ownerOf(req.url);
  return found === undefined || found.owner === ctx.directory.self
    ? undefined
    : { owner: found.owner };
}

/** `host:port`, `[v6]:port` → connect options. */
function splitAddress(address: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(address);
  const port = Number(m?.[2]);
  if (m === null || !(port > 0 && port < 65536)) return undefined;
  return { host: m[1] ?? '', port };
}

/** The request head as received, our signed header in place of any the client sent. */
function headOf(req: IncomingMessage, signed: string): string {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2)
    if (raw[i]?.toLowerCase() !== FORWARDED_HEADER) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  lines.push(`X-Porthole-Forwarded-For: ${signed}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Relays the upgrade to instance `owner`; resolves false when it cannot (the caller answers
 * the request itself), true when the socket is taken (relayed, or the client left).
 */
export async function relay(
  ctx: ForwardContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  owner: string,
): Promise<boolean> {
  const mine = pendingFor.get(owner) ?? 0;
  if (pending >= MAX_PENDING || mine >= MAX_PENDING_PER_OWNER) return false;
  const ip = ctx.clientIp(req);
  const fields = { to: owner, ip, kind: ownerOf(req.url)?.kind };
  pending++;
  pendingFor.set(owner, mine + 1);
  // Cut on shutdown while it is looked up or connected too (see createForwarding's close).
  ctx.live.add(socket);
  let piped = false;
  try {
    const address = await ctx.directory.addressOf(owner);
    const target = address === undefined ? undefined : splitAddress(address);
    const key = ctx.directory.signingKey();
    if (target === undefined || key === undefined) {
      ctx.counted?.('unknown');
      ctx.log.info({ event: 'upgrade.forward-unknown', ...fields }, 'token of an unknown instance');
      return false;
    }
    const signed = signForwarded(key, req, { ip, trusted: ctx.fromTrustedProxy(req) });
    // A client that left meanwhile is not relayed (nothing would ever close the owner's end).
    if (socket.destroyed) return true;
    const up = knownUnreachable(owner)
      ? new Error('unreachable moments ago')
      : await dial(target, ctx.connectTimeoutMs, socket);
    if (socket.destroyed) {
      if (!(up instanceof Error)) up.destroy();
      return true;
    }
    if (up instanceof Error) {
      markUnreachable(owner);
      ctx.counted?.('unreachable');
      ctx.log.warn(
        { event: 'upgrade.forward-failed', ...fields, address, detail: up.message },
        'owning instance unreachable: answered here',
      );
      return false;
    }
    ctx.counted?.('relayed');
    ctx.log.info(
      { event: 'upgrade.forwarded', ...fields, address },
      'upgrade relayed to its owner',
    );
    pipeBoth(socket, up, headOf(req, signed), head, ctx.live);
    piped = true;
    return true;
  } finally {
    pending--;
    const left = (pendingFor.get(owner) ?? 1) - 1;
    if (left > 0) pendingFor.set(owner, left);
    else pendingFor.delete(owner);
    if (!piped) ctx.live.delete(socket);
  }
}

/** Connects within `timeoutMs`, or gives the error (also when the client leaves first). */
function dial(
  target: { host: string; port: number },
  timeoutMs: number,
  client: Duplex,
): Promise<Socket | Error> {
  return new Promise((resolve) => {
    const up = connect(target);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      client.off('close', onClientGone);
      up.destroy();
      resolve(err);
    };
    const onClientGone = (): void => fail(new Error('client left'));
    const timer = setTimeout(() => fail(new Error('connect timed out')), timeoutMs);
    up.once('error', fail);
    client.once('close', onClientGone);
    up.once('connect', () => {
      clearTimeout(timer);
      up.off('error', fail);
      client.off('close', onClientGone);
      resolve(up);
    });
  });
}

function pipeBoth(
  client: Duplex,
  up: Socket,
  headText: string,
  body: Buffer,
  live: Set<Duplex>,
): void {
  live.add(client);
  up.setNoDelay(true);
  up.write(headText);
  if (body.length > 0) up.write(body);
  // Backpressure both ways (pipe pauses the faster side); either end closing ends both.
  client.pipe(up);
  up.pipe(client);
  const end = (): void => {
    live.delete(client);
    client.destroy();
    up.destroy();
  };
  up.once('error', end);
  up.once('close', end);
  client.once('close', end);
}

/** `store.advertise` with the listening port filled in when it names none. */
export function advertisedAddress(advertise: string, port: number): string {
  if (advertise.startsWith('['))
    return advertise.includes(']:') ? advertise : `${advertise}:${port}`;
  const colons = advertise.split(':').length - 1;
  if (colons === 0) return `${advertise}:${port}`;
  return colons === 1 ? advertise : `[${advertise}]:${port}`;
}

/**
 * The relay of an instance with `store.advertise` (undefined without), and `advertise`, to
 * call once listening.
 */
export function createForwarding(
  config: Readonly<Config>,
  gate: Gate,
  log: Logger,
  registry?: Registry,
): { context: ForwardContext; advertise(port: number): void; close(): void } | undefined {
  const advertise = config.store?.advertise;
  const id = config.instanceId;
  if (advertise === undefined || id === undefined || !(gate.state instanceof RedisState))
    return undefined;
  const directory = gate.state.instances(id);
  const live = new Set<Duplex>();
  const relays = new Counter({
    name: 'porthole_upgrade_relays_total',
    help: 'Resume and watch upgrades for another instance, by outcome (relayed, unknown, unreachable)',
    labelNames: ['outcome'],
    registers: registry === undefined ? [] : [registry],
  });
  return {
    context: {
      directory,
      log,
      connectTimeoutMs: config.limits.connectTimeout,
      clientIp: gate.clientIp,
      fromTrustedProxy: gate.fromTrustedProxy,
      counted: (outcome) => relays.inc({ outcome }),
      live,
    },
    // A cut relay is a dropped connection to the browser: it resumes, through another
    // instance, on the owner (which is not the one stopping).
    close: () => {
      for (const client of live) client.destroy();
    },
    advertise: (port) => directory.advertise(advertisedAddress(advertise, port)),
  };
}
