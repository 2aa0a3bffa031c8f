/**
 * The relay end to end through a real WebSocket: every byte value both ways in each
 * subprotocol, Enter and the host's newline, hello/status/ping for porthole.v1 only, ordering
 * before the backend connects, a bad control message, /api/hosts, and B6 (exact host:port).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBackend } from './helpers/backends.ts';
import { collect, openSession, waitFor, withBackend, withProxy } from './helpers/proxy.ts';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

for (const protocol of ['porthole.v1', 'binary', []] as const) {
  const label = Array.isArray(protocol) ? 'no subprotocol' : protocol;
  test(`relays all 256 byte values unchanged both ways (${label}, tcp host)`, async (t) => {
    // newline 'cr' sends Enter as typed, so the bytes can be compared exactly.
    const proxy = await withProxy(t, {
      backend: startBackend((s) => s.write(ALL_BYTES)),
      hosts: [{ id: 'raw', newline: 'cr' }],
    });
    const { backend } = proxy;
    const ws = await openSession(proxy, 'raw', {
      protocol: [...(Array.isArray(protocol) ? protocol : [protocol])],
    });
    const got = collect(ws);
    await waitFor(() => got.bytes().length >= 256, 'backend bytes at the client');
    assert.deepEqual(got.bytes(), ALL_BYTES);
    ws.send(ALL_BYTES);
    ws.send(ALL_BYTES.subarray(0, 10));
    await waitFor(
      () => Buffer.concat(backend.received[0] ?? []).length >= 266,
      'client bytes at the backend',
    );
    assert.deepEqual(
      Buffer.concat(backend.received[0] ?? []),
      Buffer.concat([ALL_BYTES, ALL_BYTES.subarray(0, 10)]),
    );
    ws.close();
  });
}

test('porthole.v1 to a tcp host: Enter becomes the host newline (CR LF by default); binary mode is untouched', async (t) => {
  const proxy = await withProxy(t, { backend: startBackend(), hosts: [{ id: 'irc' }] });
  const { backend } = proxy;
  const v1 = await openSession(proxy, 'irc');
  await waitFor(() => backend.sockets.length === 1, 'first connection');
  v1.send(Buffer.from('NICK porthole\r'));
  await waitFor(() => Buffer.concat(backend.received[0] ?? []).length >= 15, 'line at the backend');
  assert.equal(Buffer.concat(backend.received[0] ?? []).toString('latin1'), 'NICK porthole\r\n');
  const bin = await openSession(proxy, 'irc', { protocol: 'binary' });
  await waitFor(() => backend.sockets.length === 2, 'second connection');
  bin.send(Buffer.from('NICK raw\r'));
  await waitFor(
    () => Buffer.concat(backend.received[1] ?? []).length >= 9,
    'raw line at the backend',
  );
  assert.equal(Buffer.concat(backend.received[1] ?? []).toString('latin1'), 'NICK raw\r');
});

test('porthole.v1 clients get hello and status control messages; binary clients get none', async (t) => {
  const proxy = await withProxy(t);
  const v1 = collect(await openSession(proxy, 'echo'));
  await waitFor(
    () => v1.control.some((m) => m.type === 'status' && m.state === 'connected'),
    'connected status',
  );
  const hello = v1.control[0];
  assert.equal(hello?.type, 'hello');
  assert.deepEqual(hello?.host, {
    id: 'echo',
    name: 'Echo',
    protocol: 'tcp',
    input: 'line',
    reconnect: 'ask',
  });
  assert.equal(hello?.windowBytes, 512 * 1024);
  const wsBin = await openSession(proxy, 'echo', { protocol: 'binary' });
  const bin = collect(wsBin);
  wsBin.send(Buffer.from('ping\n'));
  await waitFor(() => bin.bytes().toString() === 'ping\n', 'echo in binary mode');
  assert.equal(bin.control.length, 0);
});

test('ping gets pong with the same t; a text frame in binary mode is relayed as bytes', async (t) => {
  const proxy = await withProxy(t);
  const ws = await openSession(proxy, 'echo');
  const got = collect(ws);
  ws.send(JSON.stringify({ type: 'ping', t: 42.5 }));
  await waitFor(() => got.control.some((m) => m.type === 'pong'), 'pong');
  assert.deepEqual(
    got.control.find((m) => m.type === 'pong'),
    { type: 'pong', t: 42.5 },
  );
  const bin = await openSession(proxy, 'echo', { protocol: 'binary' });
  const b = collect(bin);
  bin.send('text as bytes');
  await waitFor(() => b.bytes().toString() === 'text as bytes', 'text frame relayed');
});

test('a burst of frames sent right after open (possibly before the backend connects) arrives in order', async (t) => {
  const proxy = await withProxy(t, { backend: startBackend(), hosts: [{ id: 'slow' }] });
  const { backend } = proxy;
  const ws = await openSession(proxy, 'slow', { protocol: 'binary' });
  for (let i = 0; i < 50; i++) ws.send(Buffer.from(`${i},`));
  const expected = Array.from({ length: 50 }, (_, i) => `${i},`).join('');
  await waitFor(
    () => Buffer.concat(backend.received[0] ?? []).toString() === expected,
    'ordered delivery',
  );
});

test('a bad control message closes only that session with 1008 and one log line', async (t) => {
  const proxy = await withProxy(t);
  const canary = await openSession(proxy, 'echo');
  const canaryGot = collect(canary);
  const bad = await openSession(proxy, 'echo');
  const badGot = collect(bad);
  bad.send('{"type":"resize","cols":"wide"}');
  const { code, reason } = await badGot.closed;
  assert.equal(code, 1008);
  assert.match(reason, /bad control message/);
  assert.equal(proxy.logs.filter((l) => l.msg === 'bad control message').length, 1);
  canary.send(Buffer.from('still here'));
  await waitFor(() => canaryGot.bytes().toString() === 'still here', 'canary echo');
});

test('GET /api/hosts lists hosts without backend addresses unless showAddress', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [
      { id: 'hidden', name: 'Hidden', target: 'tcp://10.1.2.3:23' },
      {
        id: 'shown',
        name: 'Shown',
        target: 'telnet://mud.example.org:4000',
        showAddress: true,
        tags: ['mud'],
      },
    ],
  });
  const res = await fetch(`http://127.0.0.1:${proxy.port}/api/hosts`);
  const text = await res.text();
  assert.ok(!text.includes('10.1.2.3'), 'a hidden address never appears');
  const { hosts } = JSON.parse(text) as { hosts: Record<string, unknown>[] };
  assert.deepEqual(
    hosts.map((h) => h.id),
    ['hidden', 'shown'],
  );
  assert.equal(hosts[1]?.address, 'mud.example.org:4000');
  assert.equal(hosts[1]?.input, 'line', 'telnet hosts default to an input line');
  assert.equal(hosts[0]?.input, 'line');
  const one = await fetch(`http://127.0.0.1:${proxy.port}/api/hosts/nope`);
  assert.equal(one.status, 404);
  const proto = await fetch(`http://127.0.0.1:${proxy.port}/api/hosts/__proto__`);
  assert.equal(proto.status, 404);
});

test('B6: only the exact host:port of the chosen entry is dialled, never a sibling entry', async (t) => {
  const b = await withBackend(t, startBackend());
  const proxy = await withProxy(t, {
    backend: startBackend(),
    hosts: [{ id: 'a' }, { id: 'b', target: `tcp://127.0.0.1:${b.port}` }],
  });
  const a = proxy.backend;
  for (const id of ['a', 'A', 'a ', 'a%00', 'a/../b', `a:${b.port}`]) {
    const ws = await openSession(proxy, id).catch(() => undefined);
    ws?.close();
  }
  await waitFor(() => a.sockets.length === 1, 'the one valid id dialled its own port');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(a.sockets.length, 1);
  assert.equal(b.sockets.length, 0, 'the sibling entry was never dialled');
});
