/**
 * The one admission list: every check that decides whether a session may exist, in order,
 * before anything is dialled. The upgrade handler runs all of it; `GET /api/admit` (which
 * explains a refused handshake, since browsers only see close 1006) runs the same table
 * without the checks that only make sense on a handshake, and without side effects on the
 * upgrade rate (it peeks instead of taking a token).
 */
import type { IncomingMessage } from 'node:http';
import type { AdmitVerdict } from '../../shared/api.ts';
import { chooseSubprotocol, SUBPROTOCOL } from '../../shared/protocol.ts';
import type { Config } from '../config/config.ts';
import type { SessionRegistry } from '../session/registry.ts';
import type { HostCatalogue, HostEntry } from '../targets/catalogue.ts';
import { chooseTarget } from '../targets/choose.ts';
import { type CustomTarget, TARGET_REFUSED } from '../targets/custom.ts';
import { websockifyEntry } from '../targets/websockify.ts';
import { AuthError, mayUse, type Principal } from './auth.ts';
import { handshakeProblem, offeredProtocols } from './handshake.ts';
import { type Gate, LockedOut } from './limits.ts';
import { checkOrigin } from './origin.ts';
import { NO_SLOT, type SessionSlot, StoreUnavailable } from './shared-state.ts';
import { VerifyBusy } from './verify-queue.ts';

export interface AdmissionContext {
  config: Readonly<Config>;
  gate: Gate;
  hosts: HostCatalogue;
  registry: SessionRegistry;
  draining: () => boolean;
  /** The WebSocket endpoint paths (`/ws`, `/websockify`, under basePath). */
  wsPaths: ReadonlySet<string>;
  /** Replaces the configured authenticator (embedding hook). */
  authenticate?: ((req: IncomingMessage) => Promise<Principal>) | undefined;
}

/** A refusal: an HTTP status before the upgrade, a verdict for `/api/admit`. */
export interface Refusal {
  status: number;
  reason: string;
  verdict: AdmitVerdict;
  retryAfter?: number;
  headers?: Record<string, string>;
  /** For the log line only; the browser sees `reason`. */
  detail?: string;
}

export interface Admitted {
  entry: HostEntry;
  principal: Principal;
  /** The client runs a screen reader (`&sr=1`): announced to MUDs in MTTS. */
  screenReader: boolean;
  /** An opt-in `?target=host:port`, dialled only through the pinning policy. */
  custom?: CustomTarget;
  /** The session's place in the per-address and per-user counts: release it when it ends. */
  slot: SessionSlot;
}

/** `upgrade` takes an upgrade-rate token and checks the handshake; `probe` only asks. */
export type AdmissionMode = 'upgrade' | 'probe';

interface Attempt {
  readonly req: IncomingMessage;
  readonly ip: string;
  readonly mode: AdmissionMode;
  url?: URL;
  principal?: Principal;
  entry?: HostEntry;
  custom?: CustomTarget;
  slot?: SessionSlot;
}

type Outcome = Refusal | undefined;

interface Check {
  readonly name: string;
  /** Only on a WebSocket handshake (the probe is a plain GET, already past the HTTP guards). */
  readonly handshakeOnly?: true;
  run(ctx: AdmissionContext, a: Attempt): Outcome | Promise<Outcome>;
}

const refusal = (
  status: number,
  reason: string,
  verdict: AdmitVerdict,
  retryAfter?: number,
): Refusal =>
  retryAfter === undefined
    ? { status, reason, verdict }
    : { status, reason, verdict, retryAfter, headers: { 'Retry-After': String(retryAfter) } };

const draining = (ctx: AdmissionContext): Outcome =>
  ctx.draining() ? refusal(503, 'server is shutting down', 'draining', 5) : undefined;

const lockedOut = (seconds: number): Refusal =>
  refusal(429, 'too many failed attempts', 'locked-out', seconds);

async function authenticate(ctx: AdmissionContext, a: Attempt): Promise<Outcome> {
  try {
    a.principal = await (ctx.authenticate ?? ctx.gate.authenticate)(a.req);
    return undefined;
  } catch (err) {
    if (err instanceof LockedOut) return lockedOut(err.retryAfterSeconds);
    if (err instanceof VerifyBusy) return refusal(503, 'server busy', 'capacity', 5);
    if (err instanceof AuthError) {
      return err.status === 401
        ? refusal(401, 'authentication required', 'auth-required')
        : refusal(err.status, 'forbidden', 'auth-required');
    }
    throw err;
  }
}

async function chooseHost(ctx: AdmissionContext, a: Attempt): Promise<Outcome> {
  const params = a.url?.searchParams ?? new URLSearchParams();
  // websockify's clients name no host: a `?token=` from the token file, or the default host.
  const { websockify } = ctx.config;
  if (websockify !== undefined && !params.has('host') && !params.has('target')) {
    const found = await websockifyEntry(websockify, params, ctx.hosts);
    if (found.entry === undefined)
      return { ...refusal(404, 'unknown host', 'unknown-host'), detail: found.detail };
    if (a.principal === undefined || !mayUse(a.principal, found.entry.config.allow))
      return refusal(404, 'unknown host', 'unknown-host');
    a.entry = found.entry;
    return undefined;
  }
  const choice = chooseTarget(ctx.config.customTargets, params);
  if (choice.kind === 'refused') {
    return {
      ...refusal(choice.error.status, TARGET_REFUSED, 'unknown-host'),
      detail: choice.error.message,
    };
  }
  const entry = choice.kind === 'custom' ? choice.entry : ctx.hosts.get(params.get('host') ?? '');
  if (entry === undefined || a.principal === undefined || !mayUse(a.principal, entry.config.allow))
    return refusal(404, 'unknown host', 'unknown-host');
  a.entry = entry;
  if (choice.kind === 'custom') a.custom = choice.target;
  return undefined;
}

/**
 * Only our protocol's telnet engine negotiates with a telnet host (from its allowlist); a
 * `binary` client's bytes would reach the host as they are, `IAC SB NEW-ENVIRON` and all.
 * So binary to a telnet host needs the host's `rawTelnet: true` (SECURITY.md H2).
 */
function rawTelnet(_ctx: AdmissionContext, a: Attempt): Outcome {
  const telnet = a.entry?.protocol === 'telnet' || a.entry?.protocol === 'telnets';
  if (!telnet || a.entry?.config.rawTelnet === true) return undefined;
  const offered = offeredProtocols(a.req.headers['sec-websocket-protocol']);
  if (offered !== undefined && chooseSubprotocol(offered) === SUBPROTOCOL) return undefined;
  return {
    ...refusal(403, 'this host needs the porthole.v1 subprotocol', 'unknown-host'),
    detail: 'binary client to a telnet host without rawTelnet',
  };
}

async function capacity(ctx: AdmissionContext, a: Attempt): Promise<Outcome> {
  // A resume takes over a session that is already counted (a bad token never gets one).
  if (a.url?.searchParams.has('resume') === true) return undefined;
  const { limits } = ctx.config;
  const { registry } = ctx;
  // The global and per-host caps are this process's; per address and per user are the
  // deployment's when a store is configured (the slot is taken last, so nothing leaks).
  if (registry.size >= limits.maxSessions)
    return refusal(503, 'server at capacity', 'capacity', 30);
  const hostCap = a.entry?.config.maxSessions;
  if (
    hostCap !== undefined &&
    a.entry !== undefined &&
    registry.countForHost(a.entry.config.id) >= hostCap
  )
    return refusal(503, 'host at capacity', 'capacity', 30);
  const user = a.principal?.user ?? 'anonymous';
  const ipKey = ctx.gate.addressKey(a.ip);
  const slotLimits = { perIp: limits.maxSessionsPerIp, perUser: limits.maxSessionsPerUser };
  const { state } = ctx.gate;
  const got =
    a.mode === 'upgrade'
      ? await state.acquireSlot(ipKey, user, slotLimits)
      : await state.peekSlot(ipKey, user, slotLimits);
  if (got === 'ip') return refusal(429, 'too many sessions from this address', 'too-many', 30);
  if (got === 'user') return refusal(429, 'too many sessions for this user', 'too-many', 30);
  if (got !== undefined) a.slot = got;
  return undefined;
}

/** The order matters: cheap header checks first, then authentication, then the host and capacity. */
export const ADMISSION_CHECKS: readonly Check[] = [
  { name: 'drain', run: draining },
  {
    name: 'path',
    handshakeOnly: true,
    run(ctx, a) {
      try {
        a.url = new URL(a.req.url ?? '/', 'http://localhost');
      } catch {
        // `//`, `/\`, `//[`: not a path at all (and a throw here would take the process down).
        return refusal(400, 'bad request path', 'unknown-host');
      }
      return ctx.wsPaths.has(a.url.pathname)
        ? undefined
        : refusal(404, 'not a WebSocket endpoint', 'unknown-host');
    },
  },
  {
    name: 'method',
    handshakeOnly: true,
    run: (_ctx, a) =>
      a.req.method === 'GET'
        ? undefined
        : { ...refusal(405, 'method not allowed', 'unknown-host'), headers: { Allow: 'GET' } },
  },
  {
    name: 'handshake',
    handshakeOnly: true,
    run(_ctx, a) {
      const problem = handshakeProblem(a.req);
      return problem === undefined ? undefined : { ...problem, verdict: 'unknown-host' };
    },
  },
  {
    name: 'host-header',
    handshakeOnly: true,
    run: (ctx, a) =>
      ctx.gate.hostAllowed(a.req) ? undefined : refusal(421, 'unknown Host', 'unknown-host'),
  },
  // Before the upgrade rate: a foreign page's upgrades must not drain the visitor's bucket.
  {
    name: 'origin',
    handshakeOnly: true,
    run(ctx, a) {
      const verdict = checkOrigin(ctx.gate.origin, a.req);
      if (verdict === 'ok') return undefined;
      return refusal(
        403,
        verdict === 'missing' ? 'missing Origin' : 'origin not allowed',
        'unknown-host',
      );
    },
  },
  {
    name: 'lockout',
    async run(ctx, a) {
      const banned = await ctx.gate.state.bannedFor(ctx.gate.addressKey(a.ip));
      return banned > 0 ? lockedOut(banned) : undefined;
    },
  },
  {
    name: 'upgrade-rate',
    async run(ctx, a) {
      const { state } = ctx.gate;
      const key = ctx.gate.addressKey(a.ip);
      const wait =
        a.mode === 'upgrade' ? await state.takeUpgrade(key) : await state.peekUpgrade(key);
      return wait === 0 ? undefined : refusal(429, 'too many connections', 'rate-limited', wait);
    },
  },
  { name: 'auth', run: authenticate },
  // Authentication may have taken a while: a drain that began meanwhile wins.
  { name: 'drain-after-auth', run: draining },
  { name: 'host', run: chooseHost },
  { name: 'raw-telnet', handshakeOnly: true, run: rawTelnet },
  { name: 'capacity', run: capacity },
];

/**
 * Runs the admission list. `url` carries the query (`host`, `target`, `sr`) for a probe;
 * an upgrade parses it from the request line.
 */
export async function admit(
  ctx: AdmissionContext,
  req: IncomingMessage,
  mode: AdmissionMode,
  url?: URL,
): Promise<Refusal | Admitted> {
  const a: Attempt = {
    req,
    ip: ctx.gate.clientIp(req),
    mode,
    ...(url === undefined ? {} : { url }),
  };
  for (const check of ADMISSION_CHECKS) {
    if (check.handshakeOnly === true && mode === 'probe') continue;
    let outcome: Outcome;
    try {
      outcome = await check.run(ctx, a);
    } catch (err) {
      // The shared store is unreachable and `store.onError` is `closed`.
      if (err instanceof StoreUnavailable) return refusal(503, 'server busy', 'capacity', 5);
      throw err;
    }
    if (outcome !== undefined) return outcome;
  }
  if (a.entry === undefined || a.principal === undefined)
    throw new Error('admission list ended without a host and a principal');
  const screenReader = a.url?.searchParams.get('sr') === '1';
  const slot = a.slot ?? NO_SLOT;
  const admitted: Admitted = { entry: a.entry, principal: a.principal, screenReader, slot };
  if (a.custom !== undefined) admitted.custom = a.custom;
  return admitted;
}
