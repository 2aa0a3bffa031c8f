/**
 * SECURITY.md H2: a `binary` (websockify) client's bytes are not filtered by the telnet
 * engine, so to a telnet host they are refused unless the host opts in (`rawTelnet: true`).
 * The attack is CVE-2026-24061's shape: `IAC SB NEW-ENVIRON IS VAR "USER" VALUE "-f root"`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBackend } from './helpers/backends.ts';
import { openSession, upgradeResponse, waitFor, withBackend, withProxy } from './helpers/proxy.ts';

const IAC = 255;
const SB = 250;
const SE = 240;
const NEW_ENVIRON = 39;
const ATTACK = Buffer.concat([
  Buffer.from([IAC, SB, NEW_ENVIRON, 0 /* IS */, 0 /* VAR */]),
  Buffer.from('USER'),
  Buffer.from([1 /* VALUE */]),
  Buffer.from('-f root'),
  Buffer.from([IAC, SE]),
]);

const hasRawSb = (bytes: Buffer): boolean =>
  bytes.includes(Buffer.from([IAC, SB, NEW_ENVIRON])) &&
  !bytes.includes(Buffer.from([IAC, IAC, SB]));

test('H2: NEW-ENVIRON from a binary client never reaches a recording telnet host', async (t) => {
  const recorder = await withBackend(t, startBackend());
  const opted = await withBackend(t, startBackend());
  const proxy = await withProxy(t, {
    backend: recorder,
    hosts: [
      { id: 'tn', target: `telnet://127.0.0.1:${recorder.port}` },
      { id: 'raw', target: `telnet://127.0.0.1:${opted.port}`, rawTelnet: true },
    ],
  });
  for (const protocol of ['binary', [] as string[]]) {
    const res = await upgradeResponse(proxy, '/ws?host=tn', { protocol });
    assert.equal(res.status, 403, `subprotocol ${JSON.stringify(protocol)}`);
    assert.match(res.body, /porthole\.v1/);
  }
  // Our own protocol: the engine escapes every 0xFF, so the host sees data, not a subnegotiation.
  const ws = await openSession(proxy, 'tn');
  ws.send(ATTACK);
  await waitFor(() => Buffer.concat(recorder.received[0] ?? []).includes('-f root'), 'typed bytes');
  ws.close();
  const seen = Buffer.concat(recorder.received.flat());
  assert.ok(!hasRawSb(seen), 'the host received a raw IAC SB NEW-ENVIRON');
  assert.equal(recorder.sockets.length, 1, 'only the v1 session was dialled');
  const lines = proxy.logs.filter(
    (l) => l.detail === 'binary client to a telnet host without rawTelnet',
  );
  assert.equal(lines.length, 2, 'one log line per refusal');
  // A host that opts in gets the client's telnet as it is: that is what rawTelnet means.
  const bin = await openSession(proxy, 'raw', { protocol: 'binary' });
  bin.send(ATTACK);
  await waitFor(() => hasRawSb(Buffer.concat(opted.received[0] ?? [])), 'raw bytes at the host');
  bin.close();
});
