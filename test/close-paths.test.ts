import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { closedPort, finAfterBackend, rstBackend, startBackend } from './helpers/backends.ts';
import { collect, openSession, waitFor, withProxy } from './helpers/proxy.ts';

test('G5: backend FIN: the browser gets every byte, then 4003', async (t) => {
  const payload = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
  const proxy = await withProxy(t, {
    backend: finAfterBackend(payload),
    hosts: [{ id: 'fin', name: 'Fin' }],
  });
  for (const protocol of ['porthole.v1', 'binary']) {
    const ws = await openSession(proxy, 'fin', { protocol });
    const got = collect(ws);
    if (protocol === 'porthole.v1') {
      // Acknowledge as a real client would, so the window keeps the data flowing.
      ws.on('message', (d: Buffer, isBinary: boolean) => {
        if (isBinary) ws.send(JSON.stringify({ type: 'ack', bytes: d.length }));
      });
    }
    const { code } = await got.closed;
    assert.equal(code, 4003, protocol);
    assert.equal(got.bytes().length, payload.length, protocol);
    assert.ok(got.bytes().equals(payload), protocol);
  }
  await waitFor(() => proxy.porthole.sessions.size === 0, 'sessions released');
});

test('G1: backend refused: 1014 with a generic reason, detail only in the log', async (t) => {
  const port = await closedPort();
  const proxy = await withProxy(t, {
    hosts: [{ id: 'gone', name: 'Gone', target: `tcp://127.0.0.1:${port}` }],
  });
  const got = collect(await openSession(proxy, 'gone'));
  const started = Date.now();
  const { code, reason } = await got.closed;
  assert.equal(code, 1014);
  assert.equal(reason, 'backend unavailable');
  assert.ok(Date.now() - started < 1000);
  assert.ok(!reason.includes('127.0.0.1'));
  const line = proxy.logs.find((l) => l.msg === 'backend unavailable');
  assert.equal(line?.backend, 'refused');
});

test('G2: backend connect timeout: 1014 after connectTimeout', async (t) => {
  // A listener with a full accept queue that never accepts: the kernel drops further SYNs.
  const py = spawn('python3', [
    '-c',
    'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)',
  ]);
  t.after(() => py.kill());
  const port = Number(
    await new Promise<string>((resolve) =>
      py.stdout.once('data', (d: Buffer) => resolve(d.toString())),
    ),
  );
  const fillers: import('node:net').Socket[] = [];
  const { connect } = await import('node:net');
  for (let i = 0; i < 4; i++) fillers.push(connect(port, '127.0.0.1').on('error', () => {}));
  t.after(() => {
    for (const f of fillers) f.destroy();
  });
  await new Promise((r) => setTimeout(r, 200));
  const proxy = await withProxy(t, {
    hosts: [{ id: 'slow', name: 'Slow', target: `tcp://127.0.0.1:${port}` }],
    limits: { connectTimeout: '700ms' },
  });
  const got = collect(await openSession(proxy, 'slow'));
  const started = Date.now();
  const { code } = await got.closed;
  const elapsed = Date.now() - started;
  assert.equal(code, 1014);
  assert.ok(elapsed >= 600 && elapsed < 3000, `closed after ${elapsed} ms`);
  assert.equal(proxy.logs.find((l) => l.msg === 'backend unavailable')?.backend, 'timeout');
});

test('G6: backend RST mid-stream: 1014 and resources freed', async (t) => {
  const proxy = await withProxy(t, {
    backend: rstBackend(Buffer.alloc(10 * 1024, 1)),
    hosts: [{ id: 'rst', name: 'Rst' }],
  });
  const got = collect(await openSession(proxy, 'rst', { protocol: 'binary' }));
  const { code } = await got.closed;
  assert.equal(code, 1014);
  await waitFor(() => proxy.porthole.sessions.size === 0, 'session released');
});

test('G8: client close(1000): the backend receives FIN and the session is released', async (t) => {
  let backendEnded = false;
  const proxy = await withProxy(t, {
    backend: startBackend((s) =>
      s.on('end', () => {
        backendEnded = true;
        s.end();
      }),
    ),
    hosts: [{ id: 'b', name: 'B' }],
  });
  const { backend } = proxy;
  const ws = await openSession(proxy, 'b');
  await waitFor(() => backend.sockets.length === 1, 'backend connection');
  const got = collect(ws);
  ws.close(1000);
  const { code } = await got.closed;
  assert.equal(code, 1000);
  await waitFor(() => backendEnded, 'FIN at the backend', 5000);
  await waitFor(() => proxy.porthole.sessions.size === 0, 'session released');
});

test('G7: client vanishes (stops reading, no pongs): terminated by the heartbeat, backend closed', async (t) => {
  let backendClosed = false;
  const proxy = await withProxy(t, {
    backend: startBackend((s) =>
      s.on('close', () => {
        backendClosed = true;
      }),
    ),
    hosts: [{ id: 'b', name: 'B' }],
    limits: { heartbeatInterval: 300, heartbeatTimeout: 300 },
  });
  const { backend } = proxy;
  const ws = await openSession(proxy, 'b');
  await waitFor(() => backend.sockets.length === 1, 'backend connection');
  // Freeze the client: its socket stops reading, so pings go unanswered (like SIGSTOP).
  const raw = (ws as unknown as { _socket: import('node:net').Socket })._socket;
  raw.pause();
  await waitFor(() => proxy.porthole.sessions.size === 0, 'heartbeat termination', 5000);
  await waitFor(() => backendClosed, 'backend closed', 7000);
  raw.destroy();
});

test('G7: a live client answers pings and is kept', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [{ id: 'b', name: 'B' }],
    limits: { heartbeatInterval: 200, heartbeatTimeout: 200 },
  });
  const ws = await openSession(proxy, 'b');
  let pings = 0;
  ws.on('ping', () => pings++);
  await new Promise((r) => setTimeout(r, 2500));
  assert.ok(pings >= 1, 'the server pinged');
  assert.equal(proxy.porthole.sessions.size, 1);
  assert.equal(ws.readyState, ws.OPEN);
});

test('G4: idle timeout and lifetime close with 4001 and 4002 when configured', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [
      { id: 'idle', name: 'Idle', idleTimeout: 1000 },
      { id: 'life', name: 'Life', maxSessionDuration: 1500 },
    ],
  });
  const idle = collect(await openSession(proxy, 'idle'));
  const life = await openSession(proxy, 'life');
  const lifeGot = collect(life);
  const typing = setInterval(() => life.send(Buffer.from('.')), 100);
  t.after(() => clearInterval(typing));
  assert.equal((await idle.closed).code, 4001);
  assert.equal((await lifeGot.closed).code, 4002);
});
