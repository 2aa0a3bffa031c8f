/**
 * The standard pass criteria of SECURITY.md as helpers: a canary session that must keep
 * working, gauges and fds back to baseline, one log line per refusal, and a plain HTTP
 * client that can choose its source address.
 */
import { readdirSync } from 'node:fs';
import { type IncomingHttpHeaders, request } from 'node:http';
import type { WebSocket } from 'ws';
import { type OpenOptions, openSession, type TestProxy, waitFor } from './proxy.ts';

/** Open file descriptors of this process (sockets included). */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Waits until `fdCount()` is at most `baseline + slack`. */
export async function fdsBackTo(baseline: number, slack = 10, timeoutMs = 5000): Promise<void> {
  await waitFor(() => fdCount() <= baseline + slack, `fd count back near ${baseline}`, timeoutMs);
}

/** Waits until no session is live. */
export async function released(proxy: TestProxy, timeoutMs = 5000): Promise<void> {
  await waitFor(() => proxy.porthole.sessions.size === 0, 'sessions released', timeoutMs);
}

/** Echoes one message through `hostId` (an echo backend) and closes; throws if it fails. */
export async function canaryRoundTrip(
  proxy: TestProxy,
  hostId: string,
  opts: OpenOptions = {},
  timeoutMs = 5000,
): Promise<void> {
  const ws = await openSession(proxy, hostId, { protocol: 'binary', ...opts });
  await echoOnce(ws, timeoutMs);
  ws.close(1000);
}

/** Sends a unique message on an open binary session to an echo backend and waits for it back. */
export async function echoOnce(ws: WebSocket, timeoutMs = 5000): Promise<void> {
  const text = `canary-${Math.random().toString(36).slice(2)}`;
  let seen = '';
  const onMessage = (data: Buffer): void => {
    seen += data.toString('latin1');
  };
  ws.on('message', onMessage);
  try {
    ws.send(Buffer.from(text));
    await waitFor(() => seen.includes(text), 'canary echo', timeoutMs);
  } finally {
    ws.off('message', onMessage);
  }
}

export interface Canary {
  ws: WebSocket;
  /** One echo round trip on the same, still open session. */
  roundTrip(timeoutMs?: number): Promise<void>;
  close(): void;
}

/**
 * The canary of SECURITY.md: one long-lived session (from 127.0.0.2 unless told) opened
 * before an attack; after it, the same session must still be open and echo.
 */
export async function openCanary(
  proxy: TestProxy,
  hostId: string,
  opts: OpenOptions = {},
): Promise<Canary> {
  const ws = await openSession(proxy, hostId, {
    protocol: 'binary',
    localAddress: '127.0.0.2',
    ...opts,
  });
  await echoOnce(ws);
  return {
    ws,
    async roundTrip(timeoutMs = 5000) {
      if (ws.readyState !== ws.OPEN) throw new Error('the canary session was disconnected');
      await echoOnce(ws, timeoutMs);
    },
    close: () => ws.close(1000),
  };
}

/** Log lines of refused upgrades (one per refusal). */
export function refusals(proxy: TestProxy): Record<string, unknown>[] {
  return proxy.logs.filter((l) => l.msg === 'upgrade refused');
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to 127.0.0.1 from a chosen source address. */
export function httpRequest(
  port: number,
  opts: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    localAddress?: string;
  } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        headers: opts.headers ?? {},
        agent: false,
        ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
