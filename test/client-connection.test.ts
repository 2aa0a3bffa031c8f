/**
 * The client's connection state machine (client/connection.ts) with a fake socket, a fake
 * terminal and a manual clock: acknowledgements, latency, close sentences, reconnect policy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../client/backoff.ts';
import {
  type Clock,
  Connection,
  type ConnectionState,
  type Ended,
  type ProbeResult,
  Sentences,
  type TransportHandlers,
} from '../client/connection.ts';
import {
  CloseCode,
  describeClose,
  encode,
  type HelloInfo,
  SUBPROTOCOL,
} from '../shared/protocol.ts';

class ManualClock implements Clock {
  t = 1_000_000;
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #next = 0;
  now(): number {
    return this.t;
  }
  schedule(fn: () => void, ms: number): () => void {
    const id = this.#next++;
    this.#timers.push({ at: this.t + ms, fn, id });
    return () => {
      this.#timers = this.#timers.filter((x) => x.id !== id);
    };
  }
  /** Advances time, running due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.#timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }
  get pending(): number[] {
    return this.#timers.map((x) => x.at - this.t);
  }
}

interface FakeSocket {
  url: string;
  protocols: readonly string[];
  handlers: TransportHandlers;
  sent: (string | Uint8Array)[];
  closed: { code: number | undefined; reason: string | undefined } | undefined;
  control(): Record<string, unknown>[];
}

function setup(opts: { probe?: ProbeResult; ackEveryBytes?: number } = {}) {
  const clock = new ManualClock();
  const sockets: FakeSocket[] = [];
  const writes: { bytes: Uint8Array; done: () => void }[] = [];
  const states: ConnectionState[] = [];
  const ended: Ended[] = [];
  const latencies: number[] = [];
  const echoes: boolean[] = [];
  let probes = 0;
  const conn = new Connection({
    url: 'ws://test/ws?host=demo',
    hostId: 'demo',
    clock,
    random: () => 0.5,
    ackEveryBytes: opts.ackEveryBytes ?? 64 * 1024,
    pingIntervalMs: 10_000,
    transport: (url, protocols, handlers) => {
      const socket: FakeSocket = {
        url,
        protocols,
        handlers,
        sent: [],
        closed: undefined,
        control: () =>
          socket.sent.filter((m): m is string => typeof m === 'string').map((m) => JSON.parse(m)),
      };
      sockets.push(socket);
      return {
        send: (data) => socket.sent.push(data),
        close: (code, reason) => {
          socket.closed = { code, reason };
        },
      };
    },
    sink: { write: (bytes, done) => writes.push({ bytes, done }) },
    probe: async () => {
      probes++;
      return opts.probe ?? 'ok';
    },
    hooks: {
      state: (s) => states.push(s),
      ended: (e) => ended.push(e),
      latency: (ms) => latencies.push(ms),
      echo: (local) => echoes.push(local),
    },
  });
  const last = (): FakeSocket => {
    const s = sockets.at(-1);
    assert.ok(s, 'a socket was opened');
    return s;
  };
  const serverSays = (msg: Parameters<typeof encode>[0]): void => last().handlers.text(encode(msg));
  const openAndConnect = (): void => {
    last().handlers.open();
    serverSays({ type: 'status', state: 'connected' });
  };
  return {
    conn,
    clock,
    sockets,
    writes,
    states,
    ended,
    latencies,
    echoes,
    last,
    serverSays,
    openAndConnect,
    probes: () => probes,
  };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

test('opens with the porthole.v1 subprotocol and walks opening → dialing → connected', () => {
  const s = setup();
  s.conn.resize(100, 30);
  s.conn.connect();
  assert.equal(s.last().url, 'ws://test/ws?host=demo');
  assert.deepEqual(s.last().protocols, [SUBPROTOCOL]);
  assert.equal(s.conn.state, 'opening');
  s.last().handlers.open();
  assert.equal(s.conn.state, 'dialing');
  // The size known before the socket opened is sent at once, then a latency probe.
  assert.deepEqual(s.last().control().slice(0, 2), [
    { type: 'resize', cols: 100, rows: 30 },
    { type: 'ping', t: s.clock.t },
  ]);
  s.serverSays({ type: 'status', state: 'connected' });
  assert.deepEqual(s.states, ['opening', 'dialing', 'connected']);
});

test('acknowledges processed bytes in batches, and the remainder once writes go idle', () => {
  const s = setup({ ackEveryBytes: 64 * 1024 });
  s.conn.connect();
  s.openAndConnect();
  const chunk = new Uint8Array(40 * 1024);
  for (let i = 0; i < 3; i++) s.last().handlers.binary(chunk);
  assert.equal(s.writes.length, 3);
  const acks = (): unknown[] =>
    s
      .last()
      .control()
      .filter((m) => m.type === 'ack');
  assert.deepEqual(acks(), [], 'nothing is acknowledged before xterm has parsed it');
  s.writes[0]?.done();
  assert.deepEqual(acks(), []);
  s.writes[1]?.done();
  assert.deepEqual(acks(), [{ type: 'ack', bytes: 80 * 1024 }]);
  s.writes[2]?.done();
  assert.equal(acks().length, 1, 'the remainder waits a little (typing costs no ack per echo)');
  s.clock.advance(99);
  assert.equal(acks().length, 1);
  s.clock.advance(1);
  assert.deepEqual(acks().at(-1), { type: 'ack', bytes: 40 * 1024 }, 'idle flush after 100 ms');
  assert.equal(s.conn.stats.bytesDown, 120 * 1024);
  // Ten echoes within 100 ms: one ack for all of them.
  for (let i = 0; i < 10; i++) {
    s.last().handlers.binary(new Uint8Array(3));
    s.writes.at(-1)?.done();
    s.clock.advance(9);
  }
  s.clock.advance(100);
  assert.deepEqual(acks().slice(2), [{ type: 'ack', bytes: 30 }]);
});

test('write callbacks from a previous socket never acknowledge on the new one', () => {
  const s = setup({ ackEveryBytes: 1 });
  s.conn.connect();
  s.openAndConnect();
  s.last().handlers.binary(new Uint8Array(10));
  s.conn.connect(); // Reconnect button
  s.openAndConnect();
  s.writes[0]?.done();
  assert.deepEqual(
    s
      .last()
      .control()
      .filter((m) => m.type === 'ack'),
    [],
  );
});

test('pong gives the latency; echo messages reach the hook', () => {
  const s = setup();
  s.conn.connect();
  s.openAndConnect();
  const t = s.clock.t;
  s.clock.t += 42;
  s.serverSays({ type: 'pong', t });
  assert.deepEqual(s.latencies, [42]);
  assert.equal(s.conn.latencyMs, 42);
  s.serverSays({ type: 'echo', local: false });
  assert.deepEqual(s.echoes, [false]);
});

test('a deliberate end by the host (4003) is not retried', () => {
  const s = setup();
  s.conn.connect();
  s.openAndConnect();
  s.last().handlers.close(CloseCode.BACKEND_CLOSED, 'host closed the connection');
  assert.equal(s.conn.state, 'closed');
  const e = s.ended.at(-1);
  assert.equal(e?.sentence, describeClose(CloseCode.BACKEND_CLOSED).sentence);
  assert.equal(e?.reason, 'host closed the connection');
  assert.equal(e?.retryInMs, undefined);
  s.clock.advance(10 * 60_000);
  assert.equal(s.sockets.length, 1, 'no reconnect attempt');
});

test('an unexpected drop reconnects with growing delays, and a stable session resets them', () => {
  const s = setup();
  s.conn.connect();
  s.openAndConnect();
  s.last().handlers.close(CloseCode.GOING_AWAY, 'server shutting down');
  assert.equal(s.conn.state, 'waiting');
  assert.equal(s.ended.at(-1)?.retryInMs, 1000);
  s.clock.advance(999);
  assert.equal(s.sockets.length, 1);
  s.clock.advance(1);
  assert.equal(s.sockets.length, 2, 'reconnected after the first delay');
  s.openAndConnect();
  s.last().handlers.close(CloseCode.ABNORMAL, '');
  assert.equal(s.ended.at(-1)?.retryInMs, 2000, 'a quick second drop waits longer');
  s.clock.advance(2000);
  s.openAndConnect();
  for (let i = 0; i < 6; i++) {
    s.clock.advance(10_000);
    s.serverSays({ type: 'pong', t: s.clock.t });
  }
  assert.equal(s.sockets.length, 3, 'answered pings keep the session');
  s.last().handlers.close(CloseCode.GOING_AWAY, '');
  assert.equal(s.ended.at(-1)?.retryInMs, 1000, 'after a stable minute the backoff starts over');
});

test('retries stop after Backoff.maxAttempts and say so', async () => {
  const s = setup({ probe: 'unreachable' });
  s.conn.connect();
  for (let i = 0; i <= Backoff.maxAttempts; i++) {
    s.last().handlers.close(CloseCode.ABNORMAL, '');
    await flush();
    s.clock.advance(Backoff.maxMs * 2);
  }
  assert.equal(s.sockets.length, Backoff.maxAttempts + 1);
  const e = s.ended.at(-1);
  assert.equal(e?.gaveUp, true);
  assert.equal(e?.sentence, Sentences.unreachable);
  assert.equal(s.conn.state, 'closed');
});

test('a refused handshake (1006 before open) asks the server why: unknown host is final', async () => {
  const s = setup({ probe: 'unknown-host' });
  s.conn.connect();
  s.last().handlers.close(CloseCode.ABNORMAL, '');
  await flush();
  assert.equal(s.probes(), 1);
  assert.equal(s.conn.state, 'closed');
  assert.equal(s.ended.at(-1)?.sentence, Sentences.unknownHost);
  s.clock.advance(60_000);
  assert.equal(s.sockets.length, 1);
});

test('a refused handshake for a host that exists is retried', async () => {
  const s = setup({ probe: 'ok' });
  s.conn.connect();
  s.last().handlers.close(CloseCode.ABNORMAL, '');
  await flush();
  assert.equal(s.conn.state, 'waiting');
  assert.equal(s.ended.at(-1)?.sentence, Sentences.refused);
});

test('a handshake never answered is given up after 20 s and retried; an answered one is kept', async () => {
  const s = setup({ probe: 'ok' });
  s.conn.connect();
  s.clock.advance(19_999);
  assert.equal(s.last().closed, undefined, 'still waiting just before the limit');
  s.clock.advance(1);
  assert.deepEqual(s.last().closed?.code, CloseCode.NORMAL, 'the silent socket is closed');
  await flush();
  assert.equal(s.probes(), 1, 'the server is asked why, as for a refused handshake');
  assert.equal(s.conn.state, 'waiting');
  s.clock.advance(s.ended.at(-1)?.retryInMs ?? 0);
  assert.equal(s.sockets.length, 2, 'a new attempt');
  // A socket that opens in time is never timed out, however long the session lasts.
  s.openAndConnect();
  s.clock.advance(25_000);
  assert.equal(s.last().closed, undefined);
  assert.equal(s.conn.state, 'connected');
});

test('Disconnect ends the session for good and closes the socket normally', () => {
  const s = setup();
  s.conn.connect();
  s.openAndConnect();
  s.conn.close();
  assert.equal(s.last().closed?.code, CloseCode.NORMAL);
  assert.equal(s.conn.state, 'closed');
  assert.equal(s.ended.at(-1)?.deliberate, true);
  assert.equal(s.ended.at(-1)?.sentence, Sentences.deliberate);
  // The socket's own close event arrives later and is ignored.
  s.last().handlers.close(CloseCode.NORMAL, '');
  assert.equal(s.ended.length, 1);
  s.clock.advance(60_000);
  assert.equal(s.sockets.length, 1);
});

test('Disconnect during a scheduled reconnect cancels it', () => {
  const s = setup();
  s.conn.connect();
  s.openAndConnect();
  s.last().handlers.close(CloseCode.INTERNAL, '');
  assert.equal(s.conn.state, 'waiting');
  s.conn.close();
  s.clock.advance(60_000);
  assert.equal(s.sockets.length, 1);
  assert.equal(s.conn.state, 'closed');
});

test('a server that stops answering pings is treated as a drop and retried', () => {
  const s = setup();
  s.conn.connect();
  s.openAndConnect();
  s.clock.advance(40_000);
  assert.equal(s.last().closed !== undefined || s.sockets.length > 1, true);
  const e = s.ended.at(-1);
  assert.equal(e?.sentence, Sentences.stalled);
  assert.notEqual(e?.retryInMs, undefined);
});

test('keystrokes are sent only while the socket is open, and counted', () => {
  const s = setup();
  s.conn.connect();
  assert.equal(s.conn.send(new Uint8Array([104, 105])), false);
  s.last().handlers.open();
  assert.equal(s.conn.send(new Uint8Array([104, 105])), true);
  assert.deepEqual(s.last().sent.at(-1), new Uint8Array([104, 105]));
  assert.equal(s.conn.stats.bytesUp, 2);
});

test('a large paste is split into frames the server accepts', () => {
  const s = setup();
  s.conn.connect();
  s.last().handlers.open();
  const before = s.last().sent.length;
  assert.equal(s.conn.send(new Uint8Array(150 * 1024).fill(97)), true);
  const frames = s.last().sent.slice(before) as Uint8Array[];
  assert.deepEqual(
    frames.map((f) => f.length),
    [64 * 1024, 64 * 1024, 22 * 1024],
  );
  assert.equal(s.conn.stats.bytesUp, 150 * 1024);
});

test('resize is clamped and only sent when the size changes', () => {
  const s = setup();
  s.conn.connect();
  s.last().handlers.open();
  s.conn.resize(9999, 0);
  s.conn.resize(9999, 0);
  const resizes = s
    .last()
    .control()
    .filter((m) => m.type === 'resize');
  assert.deepEqual(resizes, [{ type: 'resize', cols: 500, rows: 1 }]);
});

test('malformed control frames from the server are ignored, not fatal', () => {
  const s = setup();
  s.conn.connect();
  s.openAndConnect();
  s.last().handlers.text('{"type":"status","state":"exploded"}');
  s.last().handlers.text('not json');
  assert.equal(s.conn.state, 'connected');
});

test('refusal reasons from /api/admit: sign-in and too-many are final, capacity and rate limits retry', async () => {
  const cases: [ProbeResult, string, boolean][] = [
    ['auth-required', Sentences.signIn, false],
    ['locked-out', Sentences.lockedOut, false],
    ['too-many', Sentences.tooMany, false],
    ['capacity', Sentences.capacity, true],
    ['rate-limited', Sentences.rateLimited, true],
    ['draining', Sentences.draining, true],
  ];
  for (const [probe, sentence, retry] of cases) {
    const s = setup({ probe });
    s.conn.connect();
    s.last().handlers.close(CloseCode.ABNORMAL, '');
    await flush();
    assert.equal(s.ended.at(-1)?.sentence, sentence, probe);
    assert.equal(s.conn.state, retry ? 'waiting' : 'closed', probe);
  }
});

test('control messages the backend caused are acknowledged by their UTF-8 length, batched', () => {
  const s = setup({ ackEveryBytes: 64 * 1024 });
  s.conn.connect();
  s.openAndConnect();
  const acks = (): unknown[] =>
    s
      .last()
      .control()
      .filter((m) => m.type === 'ack');
  // Session messages (hello, status, pong) are not counted by the server, so never acked.
  s.serverSays({ type: 'pong', t: s.clock.t });
  const gmcp = { type: 'gmcp', package: 'Char.Vitals', data: { name: 'Zoë' } } as const;
  for (let i = 0; i < 50; i++) s.serverSays(gmcp);
  s.serverSays({ type: 'prompt' });
  assert.deepEqual(acks(), [], 'batched, not one ack per message');
  s.clock.advance(100);
  const bytes =
    50 * new TextEncoder().encode(encode(gmcp)).length + encode({ type: 'prompt' }).length;
  assert.deepEqual(acks(), [{ type: 'ack', bytes }]);
  s.clock.advance(1000);
  assert.equal(acks().length, 1, 'nothing more to acknowledge');
});

test("the terminal's replies in one task (400 cursor reports) go as one frame after the first", async () => {
  const s = setup();
  s.conn.connect();
  s.openAndConnect();
  const before = s.last().sent.length;
  const report = new TextEncoder().encode('\x1b[24;80R');
  for (let i = 0; i < 400; i++) assert.equal(s.conn.send(report), true);
  await Promise.resolve();
  const frames = s.last().sent.slice(before) as Uint8Array[];
  assert.equal(frames.length, 2);
  assert.equal(frames[0]?.length, report.length);
  assert.equal(frames[1]?.length, 399 * report.length);
  assert.equal(s.conn.stats.bytesUp, 400 * report.length);
});

test('resume: after a drop the client comes back with the token and the bytes it has; gone means fresh', () => {
  const s = setup();
  s.conn.connect();
  s.last().handlers.open();
  const token = 'abcdefghijklmnopqrstuv';
  s.serverSays({
    type: 'hello',
    session: 's1',
    host: { id: 'demo', name: 'Demo', protocol: 'telnet', input: 'raw' },
    features: [],
    windowBytes: 65536,
    resume: { token, holdSeconds: 120 },
  });
  s.serverSays({ type: 'status', state: 'connected' });
  s.last().handlers.binary(new Uint8Array(100));
  const droppedAt = s.clock.t;
  s.last().handlers.close(CloseCode.ABNORMAL, '');
  assert.equal(s.ended.at(-1)?.heldUntil, droppedAt + 120_000, 'the status bar can say how long');
  s.clock.advance(s.ended.at(-1)?.retryInMs ?? 0);
  assert.equal(s.last().url, `ws://test/ws?host=demo&resume=${token}&from=100`);
  // The server says the held session is gone: the next attempt is a fresh session.
  s.last().handlers.open();
  s.last().handlers.close(CloseCode.RESUME_EXPIRED, 'session has ended');
  s.clock.advance(s.ended.at(-1)?.retryInMs ?? 0);
  assert.equal(s.last().url, 'ws://test/ws?host=demo');
  assert.equal(s.ended.at(-1)?.heldUntil, undefined);
});

test('resume: a resumed hello sets the offset; Disconnect sends {type:"end"} first', () => {
  const s = setup();
  s.conn.connect();
  s.last().handlers.open();
  const hello: { type: 'hello' } & HelloInfo = {
    type: 'hello',
    session: 's1',
    host: { id: 'demo', name: 'Demo', protocol: 'telnet', input: 'raw' },
    features: [],
    windowBytes: 65536,
    resume: { token: 'abcdefghijklmnopqrstuv', holdSeconds: 60 },
  };
  s.serverSays(hello);
  s.last().handlers.binary(new Uint8Array(10));
  s.last().handlers.close(CloseCode.ABNORMAL, '');
  s.clock.advance(s.ended.at(-1)?.retryInMs ?? 0);
  s.last().handlers.open();
  s.serverSays({ ...hello, resumed: { from: 10 } });
  s.last().handlers.binary(new Uint8Array(5));
  s.conn.close();
  const sent = s.last().control();
  assert.deepEqual(sent.at(-1), { type: 'end' });
  assert.equal(s.last().closed?.code, CloseCode.NORMAL);
});
