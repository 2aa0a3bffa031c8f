/**
 * Issue 9, at the session: control messages are flow-controlled like terminal bytes, floods
 * of them coalesce, and JSON nesting is bounded both ways. Real sockets, in-process proxy.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { Cmd, Opt } from '../server/telnet/codes.ts';
import { type FakeBackend, startBackend } from './helpers/backends.ts';
import { collect, openSession, type ProxyFixture, waitFor, withProxy } from './helpers/proxy.ts';
import { sleep } from './helpers/security.ts';

const KiB = 1024;
const { IAC, SB, SE, WILL, WONT, DO, GA, ECHO } = { ...Cmd, ECHO: Opt.ECHO };

function gmcp(text: string): Buffer {
  return Buffer.concat([
    Uint8Array.of(IAC, SB, Opt.GMCP),
    Buffer.from(text),
    Uint8Array.of(IAC, SE),
  ]);
}

/** A telnet host that offers GMCP and, once agreed, runs `then`. */
function gmcpHost(then: (s: Socket) => void): Promise<FakeBackend> {
  return startBackend((s) => {
    let seen = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      seen = Buffer.concat([seen, c]);
      if (!seen.includes(Buffer.from([IAC, DO, Opt.GMCP]))) return;
      s.off('data', onData);
      then(s);
    };
    s.on('data', onData);
    s.write(Uint8Array.of(IAC, WILL, Opt.GMCP));
  });
}

/** Porthole with one telnet host `mud` on `backend`. */
function telnetProxy(
  t: TestContext,
  backend: FakeBackend,
  limits: Record<string, unknown> = {},
): Promise<ProxyFixture> {
  return withProxy(t, {
    backend,
    hosts: [{ id: 'mud', target: `telnet://127.0.0.1:${backend.port}` }],
    limits,
  });
}

test('C24: GMCP counts in the ack window: a browser that never acks stops the host at the window', async (t) => {
  let written = 0;
  const chunk = Buffer.concat(
    Array(200).fill(gmcp('Char.Vitals {"hp":100,"mp":50,"text":"a fairly long status line"}')),
  );
  const backend = await gmcpHost((s) => {
    const pump = (): void => {
      while (!s.destroyed && s.write(chunk)) written += chunk.length;
    };
    s.on('drain', pump);
    pump();
  });
  const proxy = await telnetProxy(t, backend, { highWaterBytes: '256KiB', lowWaterBytes: '64KiB' });
  const ws = await openSession(proxy, 'mud');
  let textBytes = 0;
  ws.on('message', (d: Buffer, isBinary: boolean) => {
    if (!isBinary) textBytes += d.length;
  });
  await waitFor(() => textBytes >= 256 * KiB, 'a window of GMCP');
  await sleep(1500);
  const stalledText = textBytes;
  const stalledWritten = written;
  await sleep(1500);
  // The server stops at the window plus at most one bounded batch (1024 messages).
  assert.ok(stalledText < 256 * KiB + 1100 * 90, `${stalledText} bytes of control frames unacked`);
  assert.equal(textBytes, stalledText, 'nothing more arrives while nothing is acknowledged');
  assert.equal(written, stalledWritten, 'the host is paused (its writes stall)');
  // Acknowledging resumes the flow.
  ws.send(JSON.stringify({ type: 'ack', bytes: stalledText - 300 }));
  await waitFor(() => textBytes > stalledText + 64 * KiB, 'flow resumed after ack');
  assert.equal(proxy.porthole.sessions.size, 1);
});

test('C25: a thousand GAs in one read are one prompt; echo flips in one read are one message', async (t) => {
  const ga1000 = Buffer.alloc(2000, Uint8Array.of(IAC, GA));
  const flips = Buffer.concat(
    Array.from({ length: 500 }, () => Uint8Array.of(IAC, WILL, ECHO, IAC, WONT, ECHO)),
  );
  const backend = await startBackend((s) => {
    s.write(
      Buffer.concat([
        Buffer.from('a'),
        ga1000,
        Buffer.from('b'),
        Uint8Array.of(IAC, GA),
        flips,
        Uint8Array.of(IAC, WILL, ECHO),
        Buffer.from('Password: '),
      ]),
    );
  });
  const proxy = await telnetProxy(t, backend);
  const got = collect(await openSession(proxy, 'mud'));
  await waitFor(() => got.bytes().toString().includes('Password: '), 'the prompt text');
  await sleep(200);
  const kinds = got.control.map((m) => m.type).filter((k) => k === 'prompt' || k === 'echo');
  assert.deepEqual(kinds, ['prompt', 'prompt', 'echo']);
  assert.deepEqual(
    got.control.find((m) => m.type === 'echo'),
    { type: 'echo', local: false },
  );
  assert.equal(got.bytes().toString(), 'abPassword: ');
});

test('C26: GMCP nested 5000 deep from the host is dropped with a warning; the session goes on', async (t) => {
  const deep = `Char.Deep ${'['.repeat(5000)}${']'.repeat(5000)}`;
  const backend = await gmcpHost((s) => {
    s.write(Buffer.concat([gmcp(deep), gmcp('Char.Ok {"fine":true}'), Buffer.from('after')]));
  });
  const proxy = await telnetProxy(t, backend);
  const got = collect(await openSession(proxy, 'mud'));
  await waitFor(() => got.bytes().toString() === 'after', 'data after the deep message');
  const packages = got.control.filter((m) => m.type === 'gmcp').map((m) => m.package);
  assert.deepEqual(packages, ['Char.Ok']);
  assert.equal(proxy.porthole.sessions.size, 1);
  assert.ok(
    proxy.logs.some((l) => String(l.detail).includes('nested deeper than 64')),
    'a warning names the cause',
  );
  assert.ok(!proxy.logs.some((l) => l.level === 50), 'no error log');
});

test('C26: GMCP nested 5000 deep from the browser closes with 1008 (not 1011)', async (t) => {
  const backend = await gmcpHost(() => {});
  const proxy = await telnetProxy(t, backend);
  const ws = await openSession(proxy, 'mud');
  const got = collect(ws);
  // Written by hand: JSON.stringify itself overflows at this depth.
  const data = `${'['.repeat(5000)}${']'.repeat(5000)}`;
  ws.send(`{"type":"gmcp","package":"Char.Deep","data":${data}}`);
  const { code, reason } = await got.closed;
  assert.equal(code, 1008);
  assert.match(reason, /nested too deeply/);
  assert.ok(!proxy.logs.some((l) => l.level === 50), 'no error log');
});
