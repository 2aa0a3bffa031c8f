/**
 * The command line, Porthole's own and websockify's:
 *   porthole [--config FILE] [--host ADDR] [--port N] [--workers N|auto]
 *   porthole [--web DIR] [--cert F [--key F]] [--token-plugin TokenFile --token-source F]
 *            [SOURCE_ADDR:]SOURCE_PORT [TARGET_HOST:TARGET_PORT]
 * Parsing only: main.ts acts on the result (it alone touches process.*).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseWorkers } from './cluster.ts';
import {
  type Config,
  type ConfigInput,
  DEFAULT_CONFIG_INPUT,
  loadConfigFile,
  resolveConfig,
  withListen,
} from './config/config.ts';
import { PACKAGE_ROOT } from './paths.ts';

export const USAGE = `Usage: porthole [options]
       porthole [options] [SOURCE_ADDR:]SOURCE_PORT [TARGET_HOST:TARGET_PORT]   (as websockify)

  --config FILE       YAML or JSON config (env PORTHOLE_CONFIG); default: built-in demo config
  --host ADDR         listen address (env PORTHOLE_HOST); default 127.0.0.1
  --port N            listen port (env PORTHOLE_PORT); default 8080
  --workers N         processes sharing the port, or auto = one per core (env PORTHOLE_WORKERS);
                      default 1. Session limits apply per worker.
  --hash-password     read a password on stdin, print its hash for auth.users[].passwordHash
  --healthcheck       exit 0 if the server this config describes answers /healthz, else 1
  -h, --help          show this help
  -V, --version       print the version

websockify's command line (a byte bridge for noVNC and other binary clients):
  --web DIR           serve the static files in DIR on the same port (e.g. /usr/share/novnc)
  --cert FILE         TLS certificate (PEM); --key FILE its key (default: the same file)
  --token-plugin TokenFile --token-source FILE_OR_DIR
                      ?token=X picks the target from lines "X: host:port" (read per connection)
  --allow-plaintext   serve ws:// on a non-loopback SOURCE_ADDR (TLS is expected in front)
  A bare SOURCE_PORT listens on 127.0.0.1; write 0.0.0.0:PORT to listen on every address.
  Clients without an Origin header (non-browser) are accepted; browsers must come from the
  same origin (the --web page) or not at all.
`;

const OPTIONS = {
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  workers: { type: 'string' },
  'hash-password': { type: 'boolean' },
  healthcheck: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  web: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'token-plugin': { type: 'string' },
  'token-source': { type: 'string' },
  'target-config': { type: 'string' },
  'allow-plaintext': { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

/** A usage error: main.ts prints it with the usage and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'hash-password' }
  /** Ask the configured listener's /healthz (the container HEALTHCHECK). */
  | { kind: 'healthcheck'; config: Readonly<Config> }
  | {
      kind: 'serve';
      config: Readonly<Config>;
      workers: number;
      /** Reads the config file again (SIGHUP); undefined without a file. */
      reread?: () => Readonly<Config>;
      /** The config file, when there is one (its permissions are checked at start). */
      configPath?: string;
    };

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function parsePort(value: string, source: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new UsageError(`${source} must be a port number 0–65535, got "${value}"`);
  return n;
}

/** `[ADDR:]PORT` (websockify's source), IPv6 in brackets. */
function splitSource(text: string): { host?: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:]*):)?(\d+)$/.exec(text);
  if (m === null || m[2] === undefined)
    throw new UsageError(`SOURCE must be [SOURCE_ADDR:]SOURCE_PORT, got "${text}"`);
  const host = m[1]?.replace(/^\[|\]$/g, '');
  const port = parsePort(m[2], 'SOURCE_PORT');
  return host === undefined || host === '' ? { port } : { host, port };
}

function tokenSource(v: Values): string | undefined {
  if (v['target-config'] !== undefined) return v['target-config'];
  const plugin = v['token-plugin'];
  if (plugin === undefined) {
    if (v['token-source'] !== undefined)
      throw new UsageError('--token-source needs --token-plugin TokenFile');
    return undefined;
  }
  if (!/^(websockify\.token_plugins\.)?(ReadOnly)?TokenFile$/.test(plugin))
    throw new UsageError(`--token-plugin: only TokenFile is supported, got "${plugin}"`);
  if (v['token-source'] === undefined)
    throw new UsageError('--token-plugin TokenFile needs --token-source FILE_OR_DIR');
  return v['token-source'];
}

/** The config websockify's command line stands for. */
export function websockifyConfig(v: Values, positionals: readonly string[]): ConfigInput {
  if (v.config !== undefined)
    throw new UsageError('--config cannot be combined with SOURCE/TARGET arguments');
  if (positionals.length > 2) throw new UsageError(`unexpected argument "${positionals[2]}"`);
  const source = splitSource(positionals[0] ?? '');
  const target = positionals[1];
  const tokens = tokenSource(v);
  if (target === undefined && tokens === undefined)
    throw new UsageError('TARGET_HOST:TARGET_PORT or --token-plugin TokenFile is required');
  if (target !== undefined && !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(target))
    throw new UsageError(`TARGET must be TARGET_HOST:TARGET_PORT, got "${target}"`);
  const input: ConfigInput = {
    listen: {
      host: source.host ?? '127.0.0.1',
      port: source.port,
      allowPlaintext: v['allow-plaintext'] === true,
    },
    allowMissingOrigin: true,
    hosts: target === undefined ? [] : [{ id: 'target', name: target, target: `tcp://${target}` }],
    websockify: {
      ...(target === undefined ? {} : { defaultHost: 'target' }),
      ...(tokens === undefined ? {} : { tokenSource: tokens }),
    },
  };
  if (v.web !== undefined) input.web = v.web;
  if (v.cert !== undefined) input.tls = { cert: v.cert, key: v.key ?? v.cert };
  else if (v.key !== undefined) throw new UsageError('--key needs --cert');
  return input;
}

function workersOf(v: Values, env: NodeJS.ProcessEnv): number {
  const text = v.workers ?? env.PORTHOLE_WORKERS ?? '1';
  const workers = parseWorkers(text);
  if (workers !== undefined) return workers;
  const source = v.workers === undefined ? 'PORTHOLE_WORKERS' : '--workers';
  throw new UsageError(`${source} must be a whole number 1–64 or "auto", got "${text}"`);
}

/** Parses argv and the environment; throws UsageError, or ConfigError for a bad config. */
export function parseCommandLine(args: readonly string[], env: NodeJS.ProcessEnv): Command {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help === true) return { kind: 'help' };
  if (v.version === true) return { kind: 'version' };
  if (v['hash-password'] === true) return { kind: 'hash-password' };
  const workers = workersOf(v, env);
  const command = serveCommand(v, parsed.positionals, env, workers);
  return v.healthcheck === true ? { kind: 'healthcheck', config: command.config } : command;
}

function serveCommand(
  v: Values,
  positionals: readonly string[],
  env: NodeJS.ProcessEnv,
  workers: number,
): Extract<Command, { kind: 'serve' }> {
  const portText = v.port ?? env.PORTHOLE_PORT;
  const listen = {
    publicUrl: env.PORTHOLE_PUBLIC_URL,
    logLevel: env.PORTHOLE_LOG_LEVEL,
    host: v.host ?? env.PORTHOLE_HOST,
    port:
      portText === undefined
        ? undefined
        : parsePort(portText, v.port === undefined ? 'PORTHOLE_PORT' : '--port'),
  };
  if (positionals.length > 0) {
    const input = websockifyConfig(v, positionals);
    return { kind: 'serve', config: resolveConfig(withListen(input, listen), env), workers };
  }
  for (const flag of ['web', 'cert', 'key', 'token-plugin', 'token-source'] as const) {
    if (v[flag] !== undefined)
      throw new UsageError(`--${flag} is for the websockify form: add [SOURCE_ADDR:]SOURCE_PORT`);
  }
  const path = v.config ?? env.PORTHOLE_CONFIG;
  // Overrides go in before validation: --host 0.0.0.0 without TLS fails like the file would.
  if (path === undefined || path === '')
    return {
      kind: 'serve',
      config: resolveConfig(withListen(DEFAULT_CONFIG_INPUT, listen), env),
      workers,
    };
  const reread = (): Readonly<Config> => loadConfigFile(path, listen, env);
  return { kind: 'serve', config: reread(), workers, reread, configPath: path };
}
