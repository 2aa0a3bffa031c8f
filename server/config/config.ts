/**
 * Configuration: one YAML or JSON file, validated once at start with zod, then frozen.
 * Every error names the key path (`hosts[1].target`) and what is wrong with it.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HOST_ID_PATTERN } from '../../shared/api.ts';
import { canonicalOrigin } from '../common/canonical-origin.ts';
import { authSchema, hostAllowSchema } from './auth-schema.ts';
import { backendKeyProblems, backendShape } from './backend-schema.ts';
import { clientShape } from './client-schema.ts';
import { encodingSchema, newlineSchema } from './codec-schema.ts';
import { customTargetsSchema } from './custom-targets-schema.ts';
import { cidr, listenSchema } from './network-schema.ts';
import { resolveSecrets, SecretError } from './secrets.ts';
import {
  adminsSchema,
  recordingSchema,
  shareHostShape,
  shareKeyProblems,
  sharingSchema,
} from './share-schema.ts';
import { storeKeyProblems, storeSchema, withDefaultInstanceId } from './store-schema.ts';
import { schemeOf, targetSchema } from './target-url.ts';
import { byteSize, duration } from './units.ts';
import { servingKeyProblems, servingShape } from './websockify-schema.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const hostId = z.string().regex(HOST_ID_PATTERN, 'must be 1–64 lowercase letters, digits, - or _');

const limitsShape = {
  idleTimeout: duration.optional(),
  maxSessionDuration: duration.optional(),
  /** How long the backend is held after the browser drops (0 = off); limits.resume by default. */
  resume: duration.optional(),
};

const hostSchema = z.strictObject({
  id: hostId,
  name: z.string().min(1).max(100),
  description: z.string().max(500).optional(),
  tags: z.array(z.string().min(1).max(32)).max(16).optional(),
  target: targetSchema,
  encoding: encodingSchema,
  newline: newlineSchema,
  input: z.enum(['line', 'raw']).optional(),
  showAddress: z.boolean().default(false),
  /** Who may use this host (needs auth); omitted = everyone who is authenticated. */
  allow: hostAllowSchema,
  maxSessions: z.number().int().positive().optional(),
  /**
   * Let `binary` (websockify) clients speak telnet to this host themselves. Off: their bytes
   * would reach the host unfiltered (NEW-ENVIRON `USER=-f root`), so they are refused.
   */
  rawTelnet: z.boolean().default(false),
  ...limitsShape,
  ...backendShape,
  ...clientShape,
  ...shareHostShape,
});

const limitsSchema = z.strictObject({
  maxSessions: z.number().int().positive().default(9000),
  maxSessionsPerIp: z.number().int().positive().default(20),
  /** TCP connections per address (pages, API, sessions); default maxSessionsPerIp + 32. */
  maxConnectionsPerIp: z.number().int().positive().optional(),
  maxSessionsPerUser: z.number().int().positive().default(20),
  upgradesPerIpPerMinute: z.number().int().positive().default(60),
  upgradeBurst: z.number().int().positive().default(20),
  maxMessagesPerSecond: z.number().int().positive().default(1000),
  maxBytesPerSecond: byteSize.default(1024 * 1024),
  authFailures: z.number().int().positive().default(5),
  /** IPv6 clients are counted per network of this length (lockout, rates, sessions per address). */
  ipv6Prefix: z.number().int().min(32).max(128).default(64),
  authLockout: duration.default(300_000),
  drainGrace: duration.default(1000),
  headersTimeout: duration.default(10_000),
  connectTimeout: duration.default(5000),
  dnsTimeout: duration.default(3000),
  idleTimeout: duration.default(0),
  maxSessionDuration: duration.default(0),
  /** Hold a session's backend this long after an unexpected drop, for the browser to resume. */
  resume: duration.default(120_000),
  /** Output kept for a resume (last bytes; while detached the backend pauses when it is full). */
  resumeBufferBytes: byteSize.default(1024 * 1024),
  heartbeatInterval: duration.default(25_000),
  heartbeatTimeout: duration.default(20_000),
  closeTimeout: duration.default(5000),
  maxMessageBytes: byteSize.default(1024 * 1024),
  highWaterBytes: byteSize.default(512 * 1024),
  // Resume well before the window is empty, so the pipe never runs dry (bench: v1 down 0.58→0.75× socat).
  lowWaterBytes: byteSize.default(384 * 1024),
  sessionBufferCapBytes: byteSize.default(4 * 1024 * 1024),
});

const schema = z
  .strictObject({
    listen: listenSchema.default({ host: '127.0.0.1', port: 8080, allowPlaintext: false }),
    tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
    trustedProxies: z.array(cidr).default([]),
    allowedHosts: z.array(z.string().min(1)).default([]),
    frameAncestors: z.array(z.string()).default([]),
    auth: authSchema.default({ mode: 'none' }),
    publicUrl: z.url().optional(),
    origins: z
      .array(
        z.string().refine((o) => canonicalOrigin(o) === o, {
          message:
            'must be an exact origin like https://play.example.org (scheme, host, optional port; no path)',
        }),
      )
      .default([]),
    allowMissingOrigin: z.boolean().default(false),
    limits: limitsSchema.default(limitsSchema.parse({})),
    log: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'),
      })
      .default({ level: 'info' }),
    hosts: z.array(hostSchema),
    /** Browser-chosen `?target=host:port` (SECURITY.md B1–B5); off unless enabled. */
    customTargets: customTargetsSchema,
    /** Shared limits for several instances (Redis); without it they are per process. */
    store: storeSchema,
    ...servingShape,
    /** Read-only watch links (hosts with `share: true`) and session recording (`record: true`). */
    sharing: sharingSchema,
    recording: recordingSchema,
    admins: adminsSchema,
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    for (const [i, h] of c.hosts.entries()) {
      if (seen.has(h.id))
        ctx.addIssue({
          code: 'custom',
          path: ['hosts', i, 'id'],
          message: `duplicate id "${h.id}"`,
        });
      seen.add(h.id);
    }
    if (c.tls === undefined && !c.listen.allowPlaintext && !isLoopbackName(c.listen.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['listen', 'host'],
        message: `${c.listen.host} is not loopback: configure tls, or set listen.allowPlaintext: true behind a TLS proxy`,
      });
    }
    for (const [i, h] of c.hosts.entries()) {
      for (const [key, message] of backendKeyProblems(schemeOf(h.target), h, c.auth.mode))
        ctx.addIssue({ code: 'custom', path: ['hosts', i, key], message });
      if (h.allow !== undefined && c.auth.mode === 'none') {
        ctx.addIssue({
          code: 'custom',
          path: ['hosts', i, 'allow'],
          message: 'needs auth.mode other than none',
        });
      }
    }
    for (const [path, message] of servingKeyProblems(c))
      ctx.addIssue({ code: 'custom', path, message });
    const conns = c.limits.maxConnectionsPerIp;
    if (conns !== undefined && conns <= c.limits.maxSessionsPerIp) {
      ctx.addIssue({
        code: 'custom',
        path: ['limits', 'maxConnectionsPerIp'],
        message: 'must be above limits.maxSessionsPerIp (each session is a connection)',
      });
    }
    for (const [path, message] of shareKeyProblems(c))
      ctx.addIssue({ code: 'custom', path, message });
    for (const [path, message] of storeKeyProblems(c))
      ctx.addIssue({ code: 'custom', path, message });
    if (c.limits.lowWaterBytes >= c.limits.highWaterBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['limits', 'lowWaterBytes'],
        message: 'must be below limits.highWaterBytes',
      });
    }
  })
  .transform(withDefaultInstanceId);

export type Config = z.output<typeof schema>;
export type HostConfig = Config['hosts'][number];
export type LimitsConfig = Config['limits'];
export type ConfigInput = z.input<typeof schema>;

/** The embedded default: loopback only, one built-in demo host. */
export const DEFAULT_CONFIG_INPUT: ConfigInput = {
  hosts: [
    {
      id: 'demo',
      name: 'Porthole demo',
      description: 'A built-in telnet service: colours, UTF-8, echo and your terminal size.',
      tags: ['demo', 'telnet'],
      target: 'builtin:demo',
      input: 'raw',
    },
  ],
};

/** True for addresses that only this machine can reach. */
export function isLoopbackName(host: string): boolean {
  return (
    host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path)
    out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out === '' ? '(top level)' : out;
}

/** Validates a parsed config object; throws ConfigError naming every bad key. */
export function resolveConfig(
  input: unknown,
  env: Readonly<Record<string, string | undefined>> = {},
): Readonly<Config> {
  let withSecrets: unknown;
  try {
    withSecrets = resolveSecrets(input, env);
  } catch (err) {
    if (!(err instanceof SecretError)) throw err;
    throw new ConfigError(`invalid configuration:\n  ${err.path}: ${err.message}`);
  }
  const result = schema.safeParse(withSecrets);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${formatPath(i.path)}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return deepFreeze(result.data);
}

/** Reads and validates a YAML or JSON (a subset of YAML) config file. */
/** Overrides from flags or environment, applied to the input before validation. */
export interface ListenOverride {
  host?: string | undefined;
  port?: number | undefined;
  /** PORTHOLE_PUBLIC_URL */
  publicUrl?: string | undefined;
  /** PORTHOLE_LOG_LEVEL */
  logLevel?: string | undefined;
}

/** Puts listen overrides into a config input, so the result is validated like the file. */
export function withListen(input: unknown, override: ListenOverride): unknown {
  const base =
    typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const { publicUrl, logLevel } = override;
  const extra = {
    ...(publicUrl === undefined ? {} : { publicUrl }),
    ...(logLevel === undefined ? {} : { log: { ...(base.log as object), level: logLevel } }),
  };
  if (override.host === undefined && override.port === undefined) return { ...base, ...extra };
  const listen = typeof base.listen === 'object' && base.listen !== null ? base.listen : {};
  return {
    ...base,
    ...extra,
    listen: {
      ...listen,
      ...(override.host === undefined ? {} : { host: override.host }),
      ...(override.port === undefined ? {} : { port: override.port }),
    },
  };
}

export function loadConfigFile(
  path: string,
  override: ListenOverride = {},
  env: Readonly<Record<string, string | undefined>> = {},
): Readonly<Config> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML/JSON: ${(err as Error).message}`);
  }
  try {
    return resolveConfig(withListen(parsed ?? {}, override), env);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${path}: ${err.message}`);
    throw err;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
