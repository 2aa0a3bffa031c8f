/** The raw TCP codec: character sets and Enter, and nothing telnet. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { createRawCodec } from '../server/codec/raw.ts';
import { DEFAULT_OPTIONS, feedAll, showEvent, splitAt } from './helpers/telnet-transcript.ts';

test('UTF-8 backend bytes pass through as the very same array, IACs included', () => {
  const codec = createRawCodec(DEFAULT_OPTIONS);
  const chunk = Buffer.from([0x68, 0x69, 0xff, 0xfb, 0x01, 0x0d, 0x00]);
  const events = codec.fromBackend(chunk);
  assert.equal(events.length, 1);
  assert.equal(events[0]?.kind === 'data' ? events[0].bytes : undefined, chunk);
  assert.deepEqual(codec.fromBackend(new Uint8Array(0)), []);
});

test('typing in UTF-8 without Enter returns the input itself; 0xFF is not doubled', () => {
  const codec = createRawCodec(DEFAULT_OPTIONS);
  const keys = Buffer.from([0x61, 0xff, 0x62]);
  assert.equal(codec.fromClient(keys), keys);
});

test('Enter becomes the configured newline, also across messages', () => {
  const crlf = createRawCodec(DEFAULT_OPTIONS);
  assert.equal(Buffer.from(crlf.fromClient(Buffer.from('a\rb\r'))).toString('hex'), '610d0a620d0a');
  assert.equal(Buffer.from(crlf.fromClient(Buffer.from('\nc'))).toString('hex'), '63');
  const lf = createRawCodec({ ...DEFAULT_OPTIONS, newline: 'lf' });
  assert.equal(Buffer.from(lf.fromClient(Buffer.from('ls\r'))).toString(), 'ls\n');
});

test('CP437 hosts: backend bytes become UTF-8 box drawing; typed text is encoded back', () => {
  const codec = createRawCodec({ ...DEFAULT_OPTIONS, encoding: 'cp437' });
  const events = codec.fromBackend(Buffer.from([0xc9, 0xcd, 0xbb, 0x0d, 0x0a, 0xc8, 0xcd, 0xbc]));
  assert.deepEqual(events.map(showEvent), ['data "╔═╗\\r\\n╚═╝"']);
  assert.deepEqual([...codec.fromClient(Buffer.from('░é\r'))], [0xb0, 0x82, 0x0d, 0x0a]);
});

test('raw codecs have no telnet side: no start bytes, no NAWS, no GMCP', () => {
  const codec = createRawCodec(DEFAULT_OPTIONS);
  assert.deepEqual(codec.start(), []);
  assert.deepEqual(codec.resize(100, 40), []);
  assert.deepEqual(codec.gmcp('Core.Ping', undefined), []);
});

test('any chunking of a Shift_JIS stream decodes to the same text', () => {
  const text = 'こんにちは、世界。ｶﾀｶﾅ and ASCII ━┃';
  const wire = iconv.encode(text, 'shift_jis');
  fc.assert(
    fc.property(fc.array(fc.nat({ max: wire.length }), { maxLength: 10 }), (offsets) => {
      const codec = createRawCodec({ ...DEFAULT_OPTIONS, encoding: 'shift_jis' });
      const events = feedAll(codec, splitAt(wire, offsets));
      assert.equal(events.length, 1);
      assert.equal(events[0]?.kind === 'data' ? Buffer.from(events[0].bytes).toString() : '', text);
    }),
  );
});

test('a character split between two browser messages is encoded once it is whole', () => {
  const codec = createRawCodec({ ...DEFAULT_OPTIONS, encoding: 'latin1' });
  const e = Buffer.from('é'); // C3 A9
  assert.deepEqual([...codec.fromClient(e.subarray(0, 1))], []);
  assert.deepEqual([...codec.fromClient(e.subarray(1))], [0xe9]);
});
