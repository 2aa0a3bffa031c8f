/**
 * Issue 13, resume: a browser that drops without a close frame comes back with
 * `/ws?host=ID&resume=TOKEN&from=N` and gets every byte after N exactly once, in order,
 * from the same backend connection. Real sockets: a counter-stream backend, ws clients.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { WebSocket } from 'ws';
import { SUBPROTOCOL } from '../shared/protocol.ts';
import { counterBackend, expected } from './helpers/counter.ts';
import { type ProxyFixture, waitFor, withProxy } from './helpers/proxy.ts';
import { sleep } from './helpers/security.ts';

const KiB = 1024;
interface Client {
  ws: WebSocket;
  bytes: Buffer[];
  received: () => number;
  control: Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
  /** Cuts the TCP connection: no close frame (a network drop). */
  drop(): void;
}

/** A porthole.v1 browser that reads and acknowledges like client/connection.ts. */
async function browser(proxy: ProxyFixture, query: string): Promise<Client> {
  const ws = new WebSocket(`${proxy.url}/ws?${query}`, SUBPROTOCOL, { origin: proxy.origin });
  const bytes: Buffer[] = [];
  const control: Record<string, unknown>[] = [];
  let received = 0;
  let pending = 0;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      control.push(JSON.parse(data.toString('utf8')));
      return;
    }
    bytes.push(data);
    received += data.length;
    pending += data.length;
    if (pending >= 32 * KiB && ws.readyState === ws.OPEN) {
      ws.send(JSON.stringify({ type: 'ack', bytes: pending }));
      pending = 0;
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    bytes,
    control,
    closed,
    received: () => received,
    drop: () => (ws as unknown as { _socket: Socket })._socket.destroy(),
  };
}

function hello(c: Client): Record<string, unknown> {
  const h = c.control.find((m) => m.type === 'hello');
  assert.ok(h, 'a hello');
  return h;
}

function tokenOf(c: Client): string {
  const resume = hello(c).resume as { token: string; holdSeconds: number } | undefined;
  assert.ok(resume, 'hello offers resume');
  assert.match(resume.token, /^[A-Za-z0-9_-]{22}$/);
  return resume.token;
}

async function setup(t: TestContext, limits: Record<string, unknown> = {}) {
  const backend = await counterBackend();
  const proxy = await withProxy(t, {
    backend,
    hosts: [{ id: 'count' }, { id: 'other' }],
    limits: { resume: '2m', ...limits },
  });
  return { backend, proxy };
}

test('resume: every byte after N exactly once, in order, over the same backend connection', async (t) => {
  const { backend, proxy } = await setup(t);
  const first = await browser(proxy, 'host=count');
  await waitFor(() => first.received() >= 100 * KiB, 'some output');
  const token = tokenOf(first);
  assert.equal(
    hello(first).resume && (hello(first).resume as { holdSeconds: number }).holdSeconds,
    120,
  );
  first.drop();
  const n = first.received();
  await waitFor(() => proxy.porthole.sessions.detachedCount === 1, 'the session detached');
  await sleep(300); // the backend keeps sending meanwhile
  const second = await browser(proxy, `host=count&resume=${token}&from=${n}`);
  await waitFor(() => second.received() >= 400 * KiB, 'replay and live output');
  assert.deepEqual(hello(second).resumed, { from: n });
  const got = Buffer.concat(second.bytes);
  assert.ok(got.equals(expected(n, got.length)), 'the bytes after N, once each, in order');
  assert.ok(Buffer.concat(first.bytes).equals(expected(0, n)));
  assert.equal(backend.sockets.length, 1, 'the backend saw one TCP connection');
  assert.equal(proxy.porthole.sessions.size, 1);
  assert.equal(proxy.porthole.sessions.detachedCount, 0);
  assert.equal(proxy.porthole.sessions.resumes, 1);
  const events = proxy.logs.map((l) => l.event);
  assert.ok(events.includes('session.detach') && events.includes('session.resume'), 'audited');
  second.ws.close(1000);
});

test('resume: a full ring pauses the backend while detached; nothing is lost', async (t) => {
  const { backend, proxy } = await setup(t, {
    resumeBufferBytes: '64KiB',
    highWaterBytes: '32KiB',
    lowWaterBytes: '16KiB',
  });
  const first = await browser(proxy, 'host=count');
  await waitFor(() => first.received() >= 64 * KiB, 'some output');
  const token = tokenOf(first);
  first.drop();
  const n = first.received();
  await sleep(1000);
  const stalled = backend.written();
  await sleep(1000);
  assert.equal(backend.written(), stalled, 'the host is paused while the ring is full');
  const second = await browser(proxy, `host=count&resume=${token}&from=${n}`);
  await waitFor(() => second.received() >= 512 * KiB, 'replay, then the host resumes');
  assert.deepEqual(hello(second).resumed, { from: n });
  const got = Buffer.concat(second.bytes);
  assert.ok(got.equals(expected(n, got.length)), 'nothing lost, nothing doubled');
  // Kernel buffers hold megabytes on loopback: the host writes again once they drain.
  await waitFor(() => backend.written() > stalled, 'the host was resumed', 20_000);
  const all = Buffer.concat(second.bytes);
  assert.ok(all.equals(expected(n, all.length)), 'still in order');
  second.ws.close(1000);
});

test('resume: from older than the ring holds says gap and starts at the oldest byte', async (t) => {
  const { proxy } = await setup(t, {
    resumeBufferBytes: '64KiB',
    highWaterBytes: '32KiB',
    lowWaterBytes: '16KiB',
  });
  const first = await browser(proxy, 'host=count');
  await waitFor(() => first.received() >= 256 * KiB, 'more output than the ring holds');
  const token = tokenOf(first);
  first.drop();
  await sleep(300);
  const second = await browser(proxy, `host=count&resume=${token}&from=0`);
  await waitFor(() => second.received() >= 64 * KiB, 'replay');
  const resumed = hello(second).resumed as { from: number; gap: boolean };
  assert.equal(resumed.gap, true);
  assert.ok(resumed.from > 0);
  const got = Buffer.concat(second.bytes);
  assert.ok(got.equals(expected(resumed.from, got.length)), 'from the oldest byte held, in order');
  second.ws.close(1000);
});

test('resume: bad, foreign and expired tokens are refused with their own codes; the backend is untouched', async (t) => {
  // 5 s: long enough for the refusals below on a loaded machine, short for the expiry.
  const { backend, proxy } = await setup(t, { resume: '5s' });
  const first = await browser(proxy, 'host=count');
  await waitFor(() => first.received() >= 1000, 'some output');
  const token = tokenOf(first);
  first.drop();
  const n = first.received();
  const bad = await browser(proxy, `host=count&resume=AAAAAAAAAAAAAAAAAAAAAA&from=${n}`);
  assert.equal((await bad.closed).code, 4020);
  const malformed = await browser(proxy, `host=count&resume=x&from=${n}`);
  assert.equal((await malformed.closed).code, 4020);
  const foreign = await browser(proxy, `host=other&resume=${token}&from=${n}`);
  assert.equal((await foreign.closed).code, 4022);
  const ahead = await browser(proxy, `host=count&resume=${token}&from=999999999999`);
  assert.equal((await ahead.closed).code, 4020, 'an offset past the output');
  await waitFor(() => proxy.porthole.sessions.size === 0, 'the hold expired', 20_000);
  const late = await browser(proxy, `host=count&resume=${token}&from=${n}`);
  assert.equal((await late.closed).code, 4021);
  assert.equal(backend.sockets.length, 1, 'no refused resume dialled the backend');
  assert.equal(Buffer.concat(backend.received[0] ?? []).length, 0, 'nor wrote to it');
  const expiry = proxy.logs.find((l) => l.event === 'session.close');
  assert.equal(expiry?.cause, 'resume-expired');
});

test('resume: {type:"end"} closes the backend at once; a second browser takes over the first', async (t) => {
  const { backend, proxy } = await setup(t);
  const first = await browser(proxy, 'host=count');
  await waitFor(() => first.received() >= 1000, 'some output');
  const token = tokenOf(first);
  const second = await browser(proxy, `host=count&resume=${token}&from=${first.received()}`);
  assert.equal((await first.closed).code, 4023, 'the first browser is told it was taken over');
  await waitFor(() => second.received() >= 64 * KiB, 'the second browser gets the output');
  const sock = backend.sockets[0];
  assert.ok(sock);
  const ended = new Promise<void>((resolve) => sock.once('end', () => resolve()));
  second.ws.send(JSON.stringify({ type: 'end' }));
  await ended;
  assert.equal((await second.closed).code, 1000);
  await waitFor(() => proxy.porthole.sessions.size === 0, 'session released');
  assert.equal(proxy.porthole.sessions.detachedCount, 0);
});
