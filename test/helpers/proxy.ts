/**
 * Start Porthole in-process on 127.0.0.1:0 and open WebSocket sessions against it.
 * Tests use `withProxy(t, ...)`: a proxy (and by default an echo backend) stopped by t.after.
 */
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { type ClientOptions, WebSocket } from 'ws';
import { createPorthole, type Porthole, type PortholeOptions } from '../../server/app.ts';
import { createLogger } from '../../server/common/log.ts';
import { type ConfigInput, resolveConfig } from '../../server/config/config.ts';
import { SUBPROTOCOL } from '../../shared/protocol.ts';
import { echoBackend, type FakeBackend } from './backends.ts';

export interface TestProxy {
  porthole: Porthole;
  port: number;
  url: string;
  origin: string;
  /** Every log line as parsed JSON. */
  logs: Record<string, unknown>[];
  /** Every log line exactly as written (one JSON object per line). */
  rawLogs: string[];
  close(): Promise<void>;
}

/** Injection points of createPorthole that tests may set (DNS, codecs). */
export type ProxyOptions = Pick<PortholeOptions, 'lookup' | 'createCodec' | 'authenticate'>;

export async function startProxy(
  input: Partial<ConfigInput> & Pick<ConfigInput, 'hosts'>,
  options: ProxyOptions = {},
): Promise<TestProxy> {
  // Resume is on by default (limits.resume 2m); tests of other features expect a dropped
  // browser to end its session at once, so the fixture turns it off unless a test asks.
  const config = resolveConfig({
    log: { level: 'debug' },
    ...input,
    limits: { resume: 0, ...input.limits },
  });
  const logs: Record<string, unknown>[] = [];
  const rawLogs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        rawLogs.push(line);
        logs.push(JSON.parse(line));
      }
      cb();
    },
  });
  const porthole = createPorthole({ config, logger: createLogger('debug', sink), ...options });
  const address = await porthole.listen(0, '127.0.0.1');
  const secure = config.tls !== undefined;
  const origin = `${secure ? 'https' : 'http'}://127.0.0.1:${address.port}`;
  return {
    porthole,
    port: address.port,
    url: `${secure ? 'wss' : 'ws'}://127.0.0.1:${address.port}`,
    origin,
    logs,
    rawLogs,
    close: () => porthole.close(200),
  };
}

type HostInput = ConfigInput['hosts'][number];

/**
 * A host entry for withProxy: `target` defaults to the fixture's backend (its own `target`, e.g.
 * `telnet://` for a telnetd, else `tcp://`; `scheme` chooses another), `name` to the id.
 */
export type FixtureHost = Omit<HostInput, 'target' | 'name'> & {
  target?: string;
  name?: string;
  scheme?: 'tcp' | 'telnet' | 'telnets' | 'tls';
};

/** Any server on 127.0.0.1 the fixture can point hosts at and stop (FakeBackend, TelnetServer). */
export interface LoopbackServer {
  port: number;
  /** How a host reaches it, when the server says (`tcp://…`, `telnet://…`). */
  target?: string;
  close(): Promise<void>;
}

export type FixtureConfig<B extends LoopbackServer = FakeBackend> = Partial<
  Omit<ConfigInput, 'hosts'>
> & {
  /** Default: one host `{ id: 'echo', name: 'Echo' }` on the backend. */
  hosts?: FixtureHost[];
  /** The backend that hosts without a target reach. Default: an echo backend. */
  backend?: B | Promise<B>;
};

export interface ProxyFixture<B extends LoopbackServer = FakeBackend> extends TestProxy {
  backend: B;
}

/**
 * The one set-up for proxy tests: a fake backend (echo unless given), Porthole in front of it
 * with `config` (log level debug, every line in `logs`), both stopped by `t.after`.
 * `withProxy(t)` is an echo host with id `echo`.
 */
export async function withProxy<B extends LoopbackServer = FakeBackend>(
  t: TestContext,
  config: FixtureConfig<B> = {},
  options: ProxyOptions = {},
): Promise<ProxyFixture<B>> {
  const { backend: given, hosts = [{ id: 'echo', name: 'Echo' }], ...rest } = config;
  // Without a backend given, B is FakeBackend (the default type argument).
  const backend = (await (given ?? echoBackend())) as B;
  let proxy: TestProxy | undefined;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= proxy?.close() ?? Promise.resolve();
    return closing;
  };
  // One hook, so the proxy stops before its backend (after-hooks run in registration order).
  t.after(async () => {
    await close();
    await backend.close();
  });
  proxy = await startProxy(
    {
      ...rest,
      hosts: hosts.map(({ scheme, ...h }) => ({
        ...h,
        name: h.name ?? h.id,
        target:
          h.target ??
          (scheme === undefined ? backend.target : undefined) ??
          `${scheme ?? 'tcp'}://127.0.0.1:${backend.port}`,
      })),
    },
    options,
  );
  return { ...proxy, close, backend };
}

/** Starts (or takes) a fake backend and closes it when the test ends. */
export async function withBackend<B extends LoopbackServer>(
  t: TestContext,
  backend: B | Promise<B>,
): Promise<B> {
  const b = await backend;
  t.after(() => b.close());
  return b;
}

export interface OpenOptions {
  protocol?: string | string[];
  origin?: string;
  headers?: Record<string, string>;
  /** Source address, e.g. 127.0.0.2 for "another client". */
  localAddress?: string;
  /** Query parameters added after host=ID. */
  query?: string;
}

function clientOptions(opts: OpenOptions, proxy: TestProxy): ClientOptions {
  return {
    origin: opts.origin ?? proxy.origin,
    headers: opts.headers ?? {},
    ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }),
    // Test certificates are self-signed.
    ...(proxy.url.startsWith('wss:') ? { rejectUnauthorized: false } : {}),
  };
}

type Early = { messages: [Buffer, boolean][]; listener: (data: Buffer, isBinary: boolean) => void };
/** Messages that arrive between 'open' and collect(): ws can emit them in the same tick as 'open'. */
const early = new WeakMap<WebSocket, Early>();

/** Opens a session; resolves once the WebSocket is open. */
export function openSession(
  proxy: TestProxy,
  hostId: string,
  opts: OpenOptions = {},
): Promise<WebSocket> {
  const protocols = opts.protocol ?? SUBPROTOCOL;
  const query = opts.query === undefined ? '' : `&${opts.query}`;
  const ws = new WebSocket(
    `${proxy.url}/ws?host=${encodeURIComponent(hostId)}${query}`,
    protocols,
    clientOptions(opts, proxy),
  );
  const buffered: Early = {
    messages: [],
    listener: (data, isBinary) => buffered.messages.push([data, isBinary]),
  };
  ws.on('message', buffered.listener);
  early.set(ws, buffered);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

/** The HTTP status a refused upgrade got (101 if it was accepted). */
export async function upgradeStatus(
  proxy: TestProxy,
  path: string,
  opts: OpenOptions = {},
): Promise<number> {
  return (await upgradeResponse(proxy, path, opts)).status;
}

/** The status, headers and body of an upgrade's answer (a 101 is closed at once). */
export function upgradeResponse(
  proxy: TestProxy,
  path: string,
  opts: OpenOptions = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  const ws = new WebSocket(
    `${proxy.url}${path}`,
    opts.protocol ?? SUBPROTOCOL,
    clientOptions(opts, proxy),
  );
  return new Promise((resolve, reject) => {
    ws.once('upgrade', (res) => {
      ws.once('open', () => {
        ws.terminate();
        resolve({ status: 101, headers: res.headers, body: '' });
      });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.once('end', () => {
        ws.terminate();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

export interface Collected {
  binary: Buffer[];
  control: Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
  bytes(): Buffer;
}

/** Records everything a session receives. */
export function collect(ws: WebSocket): Collected {
  const binary: Buffer[] = [];
  const control: Record<string, unknown>[] = [];
  const onMessage = (data: Buffer, isBinary: boolean): void => {
    if (isBinary) binary.push(data);
    else control.push(JSON.parse(data.toString('utf8')));
  };
  const before = early.get(ws);
  if (before !== undefined) {
    ws.off('message', before.listener);
    for (const [data, isBinary] of before.messages) onMessage(data, isBinary);
    early.delete(ws);
  }
  ws.on('message', onMessage);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
  return { binary, control, closed, bytes: () => Buffer.concat(binary) };
}

/** Polls `predicate` until it holds or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(
  predicate: () => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
