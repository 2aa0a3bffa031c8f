/** Per-host character sets through the telnet engine. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import iconv from 'iconv-lite';
import { TelnetEngine } from '../server/telnet/engine.ts';
import { bytesOf, DEFAULT_OPTIONS, feedAll, splitAt } from './helpers/telnet-transcript.ts';

test('CP437: every byte above 0x7F maps to the IBM PC glyph, box drawing and blocks included', () => {
  const engine = new TelnetEngine({ ...DEFAULT_OPTIONS, encoding: 'cp437' });
  const high = Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i).filter((b) => b !== 0xff);
  const text = bytesOf(engine.fromBackend(high), 'data').toString('utf8');
  assert.equal([...text].length, 127);
  // Spot checks against the IBM PC character set.
  const glyph = (byte: number): string => [...text][byte - 0x80] ?? '';
  assert.equal(glyph(0xb0), '░');
  assert.equal(glyph(0xb1), '▒');
  assert.equal(glyph(0xb2), '▓');
  assert.equal(glyph(0xdb), '█');
  assert.equal(glyph(0xc9), '╔');
  assert.equal(glyph(0xcd), '═');
  assert.equal(glyph(0xbb), '╗');
  assert.equal(glyph(0xc4), '─');
  assert.equal(glyph(0xb3), '│');
  assert.equal(glyph(0x80), 'Ç');
  assert.equal(glyph(0xe1), 'ß');
  // 0xFF (non-breaking space in CP437) must come as IAC IAC.
  const nbsp = bytesOf(engine.fromBackend(Uint8Array.of(0xff, 0xff)), 'data').toString('utf8');
  assert.equal(nbsp, '\u00a0');
});

test('CP437: control bytes stay controls, so ANSI art keeps its escapes', () => {
  const engine = new TelnetEngine({ ...DEFAULT_OPTIONS, encoding: 'cp437' });
  const text = bytesOf(engine.fromBackend(Buffer.from('\x1b[31m\x07\x08\t\r\n', 'latin1')), 'data');
  assert.equal(text.toString('latin1'), '\x1b[31m\x07\x08\t\r\n');
});

test('Shift_JIS through telnet, split anywhere, decodes once', () => {
  const text = '冒険者よ、ようこそ！';
  const wire = iconv.encode(text, 'shift_jis');
  for (let cut = 0; cut <= wire.length; cut++) {
    const engine = new TelnetEngine({ ...DEFAULT_OPTIONS, encoding: 'shift_jis' });
    const out = bytesOf(feedAll(engine, splitAt(wire, [cut])), 'data').toString('utf8');
    assert.equal(out, text, `split at ${cut}`);
  }
});

test('UTF-8 hosts: bytes go through untouched, even a character split between reads', () => {
  const engine = new TelnetEngine(DEFAULT_OPTIONS);
  const wire = Buffer.from('╔═╗ héllo');
  const first = engine.fromBackend(wire.subarray(0, 2));
  const second = engine.fromBackend(wire.subarray(2));
  assert.deepEqual(Buffer.concat([bytesOf(first, 'data'), bytesOf(second, 'data')]), wire);
  // xterm.js joins split UTF-8 itself, so no bytes are held back.
  assert.equal(bytesOf(first, 'data').length, 2);
});
