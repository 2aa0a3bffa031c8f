/** The library surface: events, an auth hook, and attaching to an existing http.Server. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { createLogger } from '../server/common/log.ts';
import { AuthError, createPorthole, resolveConfig } from '../server/index.ts';
import type { Session } from '../server/session/session.ts';
import { echoBackend } from './helpers/backends.ts';
import { collect, waitFor } from './helpers/proxy.ts';

const quiet = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));

test('embedding: attach to your own http.Server, authenticate with a hook, observe session events', async (t) => {
  const backend = await echoBackend();
  const porthole = createPorthole({
    config: resolveConfig({ hosts: [{ id: 'echo', name: 'Echo', target: backend.target }] }),
    logger: quiet,
    authenticate: async (req) => {
      if (req.headers['x-api-key'] !== 'let-me-in') throw new AuthError(401, 'no key');
      return { user: 'embedder', groups: [] };
    },
  });
  const server = createServer((_req, res) => res.end('my app'));
  server.on('upgrade', porthole.handleUpgrade);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(async () => {
    await porthole.close(100);
    server.close();
    await backend.close();
  });
  const address = server.address();
  assert.ok(address !== null && typeof address !== 'string');
  const url = `ws://127.0.0.1:${address.port}/ws?host=echo`;
  const origin = `http://127.0.0.1:${address.port}`;
  const refused = new WebSocket(url, 'porthole.v1', { origin });
  const status = await new Promise<number>((resolve) =>
    refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
  );
  assert.equal(status, 401);
  const opened: Session[] = [];
  const closed: Session[] = [];
  porthole.on('session', (s) => opened.push(s));
  porthole.on('close', (s) => closed.push(s));
  const ws = new WebSocket(url, 'porthole.v1', { origin, headers: { 'x-api-key': 'let-me-in' } });
  const got = collect(ws);
  await new Promise((r) => ws.once('open', r));
  ws.send(Buffer.from('hi'));
  await waitFor(() => got.bytes().toString() === 'hi', 'echo');
  assert.equal(opened.length, 1);
  assert.equal(opened[0]?.user, 'embedder');
  ws.close(1000);
  await waitFor(() => closed.length === 1, 'close event');
  assert.equal(closed[0]?.closeCode, 1000);
  assert.equal(closed[0]?.stats.bytesUp, 2);
  assert.equal(closed[0]?.stats.bytesDown, 2);
});

test('embedding: handleUpgrade takes only its own paths; the app keeps its WebSocket paths', async (t) => {
  const backend = await echoBackend();
  const porthole = createPorthole({
    config: resolveConfig({ hosts: [{ id: 'echo', name: 'Echo', target: backend.target }] }),
    logger: quiet,
  });
  const server = createServer((_req, res) => res.end('my app'));
  // The app's own WebSocket server for its own path, beside Porthole (the README's wiring).
  const { WebSocketServer } = await import('ws');
  const appWss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (porthole.handleUpgrade(req, socket, head)) return;
    if (req.url === '/app/live')
      appWss.handleUpgrade(req, socket, head, (ws) => ws.send('app says hi'));
    else socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(async () => {
    await porthole.close(100);
    appWss.close();
    server.close();
    await backend.close();
  });
  const address = server.address();
  assert.ok(address !== null && typeof address !== 'string');
  const base = `ws://127.0.0.1:${address.port}`;
  const origin = `http://127.0.0.1:${address.port}`;
  const app = new WebSocket(`${base}/app/live`, { origin });
  const greeting = await new Promise<string>((resolve, reject) => {
    app.once('message', (d: Buffer) => resolve(d.toString()));
    app.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  assert.equal(greeting, 'app says hi', 'no 404 from Porthole for the app path');
  app.close();
  const ws = new WebSocket(`${base}/ws?host=echo`, 'porthole.v1', { origin });
  const got = collect(ws);
  await new Promise((r) => ws.once('open', r));
  ws.send(Buffer.from('yo'));
  await waitFor(() => got.bytes().toString() === 'yo', 'echo through Porthole');
  ws.close();
});
