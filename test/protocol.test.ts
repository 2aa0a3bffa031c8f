import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AckBatcher, AckWindow } from '../shared/flow-control.ts';
import {
  type ClientMessage,
  CloseCode,
  chooseSubprotocol,
  clampReason,
  decodeClient,
  decodeServer,
  describeClose,
  encode,
  Limits,
  ProtocolError,
  type ServerMessage,
} from '../shared/protocol.ts';

test('client messages round-trip through encode/decode', () => {
  const messages: ClientMessage[] = [
    { type: 'resize', cols: 120, rows: 40 },
    { type: 'ack', bytes: 65536 },
    { type: 'ping', t: 1234.5 },
    { type: 'gmcp', package: 'Core.Hello', data: { client: 'Porthole', version: '1' } },
  ];
  for (const m of messages) assert.deepEqual(decodeClient(encode(m)), m);
});

test('server messages round-trip through encode/decode', () => {
  const messages: ServerMessage[] = [
    { type: 'status', state: 'connected' },
    { type: 'status', state: 'closed', detail: 'bye' },
    { type: 'echo', local: false },
    { type: 'prompt' },
    { type: 'gmcp', package: 'Char.Vitals', data: { hp: 10 } },
    { type: 'msdp', data: { HEALTH: '10' } },
    { type: 'pong', t: 5 },
    { type: 'error', code: 'x', message: 'y' },
  ];
  for (const m of messages) assert.deepEqual(decodeServer(encode(m)), m);
});

test('malformed client messages are typed failures, never throws', () => {
  const bad = [
    '',
    'not json',
    '[]',
    'null',
    '42',
    '{"type":"resize","cols":"80","rows":24}',
    '{"type":"resize","cols":80}',
    '{"type":"resize","cols":1.5,"rows":24}',
    '{"type":"ack","bytes":-1}',
    '{"type":"ack","bytes":1e300}',
    '{"type":"ack"}',
    '{"type":"ping","t":"x"}',
    '{"type":"gmcp","package":""}',
    '{"type":"gmcp","package":"a b"}',
    '{"type":"gmcp","package":"<script>"}',
    '{"type":"__proto__"}',
    '{"type":"constructor"}',
    '{"type":"hello"}',
  ];
  for (const text of bad) {
    const r = decodeClient(text);
    assert.ok(r instanceof ProtocolError, `expected a ProtocolError for ${text}`);
  }
});

test('oversized control messages are refused before parsing', () => {
  const big = JSON.stringify({
    type: 'gmcp',
    package: 'A',
    data: 'x'.repeat(Limits.maxControlBytes),
  });
  const r = decodeClient(big);
  assert.ok(r instanceof ProtocolError);
  assert.match(r.message, /too large/);
  // Multi-byte characters count in bytes, not UTF-16 units.
  const wide = JSON.stringify({
    type: 'gmcp',
    package: 'A',
    data: '€'.repeat(Limits.maxControlBytes / 3 + 10),
  });
  assert.ok(decodeClient(wide) instanceof ProtocolError);
  const fits = JSON.stringify({ type: 'gmcp', package: 'A', data: 'x'.repeat(1000) });
  assert.ok(!(decodeClient(fits) instanceof ProtocolError));
});

test('resize values are clamped to 1–500 × 1–200', () => {
  assert.deepEqual(decodeClient('{"type":"resize","cols":0,"rows":-5}'), {
    type: 'resize',
    cols: 1,
    rows: 1,
  });
  assert.deepEqual(decodeClient('{"type":"resize","cols":65535,"rows":9999}'), {
    type: 'resize',
    cols: 500,
    rows: 200,
  });
});

test('decodeClient never throws on arbitrary input', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
      const r = decodeClient(text);
      assert.ok(r instanceof ProtocolError || typeof r.type === 'string');
    }),
  );
});

test('subprotocol choice: porthole.v1 first, binary or none = byte bridge, unknown = refuse', () => {
  assert.equal(chooseSubprotocol(new Set(['binary', 'porthole.v1'])), 'porthole.v1');
  assert.equal(chooseSubprotocol(new Set(['binary'])), 'binary');
  assert.equal(chooseSubprotocol(new Set()), 'binary');
  assert.equal(chooseSubprotocol(new Set(['base64'])), false);
});

test('close codes have sentences and retry policies', () => {
  assert.equal(describeClose(CloseCode.BACKEND_CLOSED).retry, false);
  assert.equal(describeClose(CloseCode.GOING_AWAY).retry, true);
  assert.equal(describeClose(CloseCode.ABNORMAL).retry, true);
  assert.match(describeClose(CloseCode.BAD_GATEWAY).sentence, /reach the host/);
  assert.match(describeClose(4099).sentence, /4099/);
  for (const code of Object.values(CloseCode)) assert.ok(describeClose(code).sentence.length > 10);
});

test('clampReason keeps reasons within 123 bytes without splitting characters', () => {
  assert.equal(clampReason('short'), 'short');
  const long = clampReason('é'.repeat(100));
  assert.ok(Buffer.byteLength(long) <= 123);
  assert.ok(!long.includes('\uFFFD'));
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
      const r = clampReason(s);
      assert.ok(Buffer.byteLength(r) <= 123);
      assert.ok(s.startsWith(r));
    }),
  );
});

test('AckWindow pauses at the high-water mark, resumes at the low-water mark, refuses over-acks', () => {
  const w = new AckWindow(1000, 200);
  assert.equal(w.sent(600), false);
  assert.equal(w.sent(400), true);
  assert.equal(w.belowLowWater, false);
  assert.equal(w.ack(1001), false, 'acking more than outstanding is refused');
  assert.equal(w.unacked, 1000, 'a refused ack changes nothing');
  assert.equal(w.ack(700), true);
  assert.equal(w.belowLowWater, false);
  assert.equal(w.ack(100), true);
  assert.equal(w.belowLowWater, true);
  assert.throws(() => new AckWindow(100, 100), RangeError);
});

test('AckBatcher batches processed bytes', () => {
  const b = new AckBatcher(100);
  assert.equal(b.processed(60), 0);
  assert.equal(b.processed(50), 110);
  assert.equal(b.processed(10), 0);
  assert.equal(b.flush(), 10);
  assert.equal(b.flush(), 0);
});
