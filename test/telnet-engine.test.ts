/** Telnet engine behaviour the transcripts do not cover: MCCP2, bounds, storms, browser input. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import type { CodecOptions, Newline } from '../server/codec/codec.ts';
import { Cmd, Opt } from '../server/telnet/codes.ts';
import { TelnetEngine } from '../server/telnet/engine.ts';
import { createTelnetCodec } from '../server/telnet/index.ts';
import { MccpWriter } from './helpers/telnet-mccp.ts';
import {
  bytesOf,
  DEFAULT_OPTIONS,
  feedAll,
  parseWire,
  showEvent,
} from './helpers/telnet-transcript.ts';

const { IAC, SB, SE, WILL, WONT, DO, DONT, GA } = Cmd;
const MCCP_START = Uint8Array.of(IAC, SB, Opt.MCCP2, IAC, SE);

function engine(options: Partial<CodecOptions> = {}): TelnetEngine {
  return new TelnetEngine({ ...DEFAULT_OPTIONS, ...options });
}

function compressing(): TelnetEngine {
  const codec = engine();
  const events = codec.fromBackend(Uint8Array.of(IAC, WILL, Opt.MCCP2));
  assert.deepEqual(events.map(showEvent), ['send IAC DO MCCP2']);
  return codec;
}

test('MCCP2: everything after IAC SB MCCP2 IAC SE in the same read is inflated', () => {
  const codec = compressing();
  const inner = parseWire('Welcome!\r\n{IAC WILL GMCP}HP> {IAC GA}');
  const read = Buffer.concat([
    Buffer.from('plain '),
    MCCP_START,
    deflateSync(inner, { finishFlush: 2 }),
  ]);
  assert.deepEqual(codec.fromBackend(read).map(showEvent), [
    'data "plain Welcome!\\r\\n"',
    'send IAC DO GMCP IAC SB GMCP "Core.Hello {\\"client\\":\\"Porthole\\",\\"version\\":\\"0.1.0\\"}" IAC SE',
    'data "HP> "',
    'prompt',
  ]);
});

test('MCCP2: a stream flushed per message, split at every offset, gives the same events', async () => {
  const writer = new MccpWriter();
  const parts = [
    await writer.write(parseWire('room one\r\n{IAC GA}')),
    await writer.write(parseWire('{IAC SB TTYPE SEND IAC SE}a{IAC IAC}b')),
    await writer.end(parseWire('bye\r\n')),
  ];
  // Z_STREAM_END: the server ended compression; what follows is plain telnet again.
  const wire = Buffer.concat([MCCP_START, ...parts, Buffer.from('plain again')]);
  const whole = feedAll(compressing(), [wire]).map(showEvent);
  assert.deepEqual(whole, [
    'data "room one\\r\\n"',
    'prompt',
    'data "a\\xffbbye\\r\\nplain again"',
  ]);
  for (let cut = 1; cut < wire.length; cut++) {
    const split = feedAll(compressing(), [wire.subarray(0, cut), wire.subarray(cut)]).map(
      showEvent,
    );
    assert.deepEqual(split, whole, `split at ${cut}`);
  }
});

test('MCCP2: compression can start again after the stream ended', () => {
  const codec = compressing();
  const first = deflateSync(Buffer.from('one '));
  const second = deflateSync(Buffer.from('two'));
  const events = codec.fromBackend(Buffer.concat([MCCP_START, first, MCCP_START, second]));
  assert.deepEqual(events.map(showEvent), ['data "one two"']);
});

test('MCCP2: a corrupt stream is fatal, keeps the data before it, and ends the engine', () => {
  const codec = compressing();
  const good = deflateSync(Buffer.from('before'), { finishFlush: 2 });
  const events = codec.fromBackend(
    Buffer.concat([MCCP_START, good, Buffer.from('\xff\xfegarbage', 'latin1')]),
  );
  assert.deepEqual(
    events.map((e) => e.kind),
    ['data', 'fatal'],
  );
  assert.equal(bytesOf(events, 'data').toString(), 'before');
  assert.match(
    showEvent(events[1] ?? events[0] ?? { kind: 'prompt' }),
    /^fatal MCCP2 stream cannot be decompressed/,
  );
  assert.deepEqual(codec.fromBackend(Buffer.from('more')), []);
});

test('MCCP2: a header that is not zlib is fatal at once', () => {
  const codec = compressing();
  const events = codec.fromBackend(Buffer.concat([MCCP_START, Buffer.from('not zlib at all')]));
  assert.deepEqual(
    events.map((e) => e.kind),
    ['fatal'],
  );
});

test('MCCP2: more than 4 MiB inflated from one read is fatal (decompression bomb)', () => {
  const bomb = deflateSync(Buffer.alloc(5 * 1024 * 1024, 0x41));
  assert.ok(bomb.length < 64 * 1024);
  const events = compressing().fromBackend(Buffer.concat([MCCP_START, bomb]));
  assert.deepEqual(
    events.map((e) => e.kind),
    ['fatal'],
  );
  assert.match(showEvent(events[0] ?? { kind: 'prompt' }), /exceeds 4194304 bytes/);
  // The same data fed in small reads is just a lot of text, not a bomb.
  const codec = compressing();
  let total = 0;
  const wire = Buffer.concat([MCCP_START, bomb]);
  for (let i = 0; i < wire.length; i += 256)
    total += bytesOf(codec.fromBackend(wire.subarray(i, i + 256)), 'data').length;
  assert.equal(total, 5 * 1024 * 1024);
});

test('MCCP2: a start marker without negotiation is ignored with a warning', () => {
  const codec = engine();
  const events = codec.fromBackend(Buffer.concat([MCCP_START, Buffer.from('plain')]));
  assert.deepEqual(events.map(showEvent), [
    'warning MCCP2 start without negotiation ignored',
    'data "plain"',
  ]);
});

test('C17: an unterminated TTYPE subnegotiation of 100 MB never buffers more than 4 KiB', () => {
  const codec = engine();
  codec.fromBackend(Uint8Array.of(IAC, DO, Opt.TTYPE));
  codec.fromBackend(Uint8Array.of(IAC, SB, Opt.TTYPE));
  // 0x01 is TTYPE SEND: were any of it kept and delivered at IAC SE, we would answer it.
  const junk = Buffer.alloc(64 * 1024, 0x01);
  const warnings: string[] = [];
  for (let sent = 0; sent < 100 * 1024 * 1024; sent += junk.length) {
    for (const event of codec.fromBackend(junk)) {
      assert.equal(event.kind, 'warning');
      warnings.push(showEvent(event));
    }
    assert.ok(codec.bufferedSubnegotiationBytes <= 4096);
    assert.ok(codec.subnegotiationCapacity <= 4096);
  }
  assert.equal(warnings.length, 1, 'the overflow is reported once');
  // After IAC SE the stream is back to normal: data flows and TTYPE still answers.
  const after = codec.fromBackend(parseWire('{IAC SE}ok{IAC SB TTYPE SEND IAC SE}'));
  assert.deepEqual(after.map(showEvent), [
    'data "ok"',
    'send IAC SB TTYPE 0 "XTERM-256COLOR" IAC SE',
  ]);
});

test('C18: 10 MB of escaped IACs inside SB hit the same cap', () => {
  const codec = engine();
  codec.fromBackend(Uint8Array.of(IAC, SB, 24));
  const ffs = Buffer.alloc(1024 * 1024, 0xff);
  for (let i = 0; i < 10; i++) {
    codec.fromBackend(ffs);
    assert.ok(codec.bufferedSubnegotiationBytes <= 4096);
    assert.ok(codec.subnegotiationCapacity <= 4096);
  }
  assert.deepEqual(codec.fromBackend(parseWire('{IAC SE}x')).map(showEvent), ['data "x"']);
});

test('GMCP may use 32 KiB once agreed, but not more, and not before', () => {
  const codec = engine();
  const big = `Char.Items.List ${JSON.stringify({ items: 'x'.repeat(20_000) })}`;
  const sb = (text: string) =>
    Buffer.concat([Uint8Array.of(IAC, SB, Opt.GMCP), Buffer.from(text), Uint8Array.of(IAC, SE)]);
  assert.deepEqual(
    codec.fromBackend(sb(big)).map((e) => e.kind),
    ['warning'],
  ); // 4 KiB before WILL GMCP
  codec.fromBackend(Uint8Array.of(IAC, WILL, Opt.GMCP));
  const events = codec.fromBackend(sb(big));
  assert.deepEqual(
    events.map((e) => e.kind),
    ['gmcp'],
  );
  assert.ok(codec.subnegotiationCapacity <= 32 * 1024);
  const huge = `Char.Items.List "${'y'.repeat(40_000)}"`;
  assert.deepEqual(codec.fromBackend(sb(huge)), []); // over the cap: dropped (warned once already)
  assert.ok(codec.subnegotiationCapacity <= 32 * 1024);
});

test('C19: 1M alternating WILL/WONT ECHO and DO/DONT NAWS: replies never exceed requests', () => {
  const codec = engine();
  const unit = Uint8Array.of(IAC, WILL, 1, IAC, WONT, 1, IAC, DO, 31, IAC, DONT, 31);
  const storm = Buffer.alloc(unit.length * 250_000);
  for (let i = 0; i < storm.length; i += unit.length) storm.set(unit, i);
  let sent = 0;
  let echoes = 0;
  for (let round = 0; round < 2; round++) {
    for (const event of codec.fromBackend(storm)) {
      if (event.kind === 'send') sent += event.bytes.length;
      if (event.kind === 'echo') echoes++;
    }
  }
  const received = storm.length * 2;
  // One reply per state change (every request here changes state) plus one NAWS report.
  assert.equal(sent, received + 9);
  assert.ok(sent - 9 <= received);
  assert.equal(echoes, 1_000_000);
  // Requests for states we are already in get no reply at all.
  const repeats = Buffer.concat(
    Array.from({ length: 1000 }, () => Uint8Array.of(IAC, WONT, 1, IAC, DONT, 31)),
  );
  assert.deepEqual(codec.fromBackend(repeats), []);
});

test('D1/D2: browser bytes can never become telnet commands', () => {
  const codec = engine();
  const env = parseWire('{IAC SB NEW_ENVIRON 0 0}USER\x01-f root{IAC SE}');
  const wire = codec.fromClient(env);
  assert.deepEqual(
    Buffer.from(wire),
    Buffer.from(parseWire('{IAC IAC SB NEW_ENVIRON 0 0}USER\x01-f root{IAC IAC SE}')),
  );
  const slc = Buffer.concat([
    Uint8Array.of(IAC, SB, Opt.LINEMODE, 3),
    Buffer.alloc(600, 0xff),
    Uint8Array.of(IAC, SE),
  ]);
  const out = Buffer.from(codec.fromClient(slc));
  assert.equal(out.length, slc.length + 602);
  for (let i = 0; i < out.length; i += 2) {
    if (out[i] === IAC) assert.equal(out[i + 1], IAC, `lone IAC at ${i}`);
    else i--;
  }
});

test('D8: NAWS values are clamped and FF-escaped; unchanged sizes are not resent', () => {
  const codec = createTelnetCodec({ ...DEFAULT_OPTIONS, cols: 9999, rows: -3 });
  assert.deepEqual(codec.fromBackend(Uint8Array.of(IAC, DO, 31)).map(showEvent), [
    'send IAC WILL NAWS IAC SB NAWS 1 244 0 1 IAC SE',
  ]);
  assert.deepEqual(codec.resize(Number.POSITIVE_INFINITY, 5), []);
  assert.deepEqual(codec.resize(600, 1), []); // clamps to the size already sent
  const burst = Array.from({ length: 10_000 }, (_, i) => codec.resize(80 + (i % 2), 24)).flat();
  assert.equal(burst.length, 10_000); // every change is reported; the session rate-limits
  assert.deepEqual(codec.resize(81, 24), []);
});

test('NAWS is not sent before the backend asks for it, but the latest size is', () => {
  const codec = engine();
  assert.deepEqual(codec.start(), []);
  assert.deepEqual(codec.resize(100, 40), []);
  assert.deepEqual(codec.fromBackend(Uint8Array.of(IAC, DO, 31)).map(showEvent), [
    'send IAC WILL NAWS IAC SB NAWS 0 100 0 40 IAC SE',
  ]);
});

const ENTER: ReadonlyArray<[Newline, string]> = [
  ['crlf', '6c730d0a'],
  ['cr-nul', '6c730d00'],
  ['lf', '6c730a'],
  ['cr', '6c730d'],
];

for (const [newline, hex] of ENTER) {
  test(`Enter is sent as the host's newline (${newline})`, () => {
    const codec = engine({ newline });
    assert.equal(Buffer.from(codec.fromClient(Buffer.from('ls\r'))).toString('hex'), hex);
    // CR LF (other clients, or split over two messages) is still one Enter.
    assert.equal(Buffer.from(codec.fromClient(Buffer.from('ls\r\n'))).toString('hex'), hex);
    assert.equal(Buffer.from(codec.fromClient(Buffer.from('ls\r'))).toString('hex'), hex);
    assert.equal(Buffer.from(codec.fromClient(Buffer.from('\nx'))).toString('hex'), '78');
  });
}

test('newline auto: CR LF in NVT mode, CR alone while we transmit BINARY (RFC 856), CR LF after WONT', () => {
  const codec = engine({ newline: 'auto' });
  const enter = (): string => Buffer.from(codec.fromClient(Buffer.from('ls\r'))).toString('hex');
  assert.equal(enter(), '6c730d0a');
  assert.deepEqual(codec.fromBackend(Uint8Array.of(IAC, DO, Opt.BINARY)).map(showEvent), [
    'send IAC WILL BINARY',
  ]);
  assert.equal(enter(), '6c730d');
  // The server's own BINARY side does not change what we send.
  codec.fromBackend(Uint8Array.of(IAC, WILL, Opt.BINARY));
  assert.equal(enter(), '6c730d');
  codec.fromBackend(Uint8Array.of(IAC, DONT, Opt.BINARY));
  assert.equal(enter(), '6c730d0a');
});

test('a configured newline is kept in binary mode', () => {
  const codec = engine({ newline: 'crlf' });
  codec.fromBackend(Uint8Array.of(IAC, DO, Opt.BINARY));
  assert.equal(Buffer.from(codec.fromClient(Buffer.from('ls\r'))).toString('hex'), '6c730d0a');
});

test('typing without CR or 0xFF in UTF-8 returns the very same bytes', () => {
  const codec = engine();
  const keys = Buffer.from('héllo');
  assert.equal(codec.fromClient(keys), keys);
  const pasted = codec.fromClient(Buffer.from('a\rb\rc'));
  assert.equal(Buffer.from(pasted).toString(), 'a\r\nb\r\nc');
});

test('unknown encodings are a programmer error, caught at construction', () => {
  assert.throws(
    () => engine({ encoding: 'no-such-charset' }),
    /unknown character set "no-such-charset"/,
  );
});

test('GA with nothing before it is still a prompt; data before it is flushed first', () => {
  const events = engine().fromBackend(Uint8Array.of(0x3e, IAC, GA, IAC, GA));
  assert.deepEqual(events.map(showEvent), ['data ">"', 'prompt', 'prompt']);
});

test('a flood of protocol errors yields at most 20 warnings, the last saying so', () => {
  const codec = engine();
  const flood = Buffer.concat(Array.from({ length: 500 }, () => Uint8Array.of(IAC, SE)));
  const warnings = [...codec.fromBackend(flood), ...codec.fromBackend(flood)].filter(
    (e) => e.kind === 'warning',
  );
  assert.equal(warnings.length, 20);
  assert.match(showEvent(warnings[19] ?? { kind: 'prompt' }), /further telnet warnings suppressed/);
});

test('a size not known yet (0 × 0) holds NAWS until the first resize: one NAWS, not two', () => {
  const codec = engine({ cols: 0, rows: 0 });
  assert.deepEqual(codec.fromBackend(Uint8Array.of(IAC, DO, 31)).map(showEvent), [
    'send IAC WILL NAWS',
  ]);
  assert.deepEqual(codec.resize(132, 43).map(showEvent), ['send IAC SB NAWS 0 132 0 43 IAC SE']);
  assert.deepEqual(codec.resize(132, 43), []);
});
