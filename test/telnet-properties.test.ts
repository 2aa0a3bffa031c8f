/** Property tests (fast-check): chunking never matters, escaping round-trips, no storms. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { Cmd, Opt, type Verb } from '../server/telnet/codes.ts';
import { TelnetEngine } from '../server/telnet/engine.ts';
import { OptionTable } from '../server/telnet/options.ts';
import { escapeIac } from '../server/telnet/outbound.ts';
import { type ParserSink, TelnetParser } from '../server/telnet/parser.ts';
import {
  bytesOf,
  DEFAULT_OPTIONS,
  feedAll,
  parseWire,
  splitAt,
} from './helpers/telnet-transcript.ts';

const { IAC, SB, SE } = Cmd;
const OPTIONS = [0, 1, 3, 24, 25, 31, 32, 34, 39, 42, 69, 70, 87, 200, 201, 255];
const VERBS: Verb[] = [Cmd.WILL, Cmd.WONT, Cmd.DO, Cmd.DONT];

const sb = (option: number, body: Uint8Array): Uint8Array =>
  Buffer.concat([Uint8Array.of(IAC, SB, option), escapeIac(body), Uint8Array.of(IAC, SE)]);

/** Everything a backend may send, except the MCCP2 start (tested on its own below). */
const token: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 24 }).map(escapeIac) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('\r\0', '\r\n', '\0', 'é', '╔═╗').map((s) => Buffer.from(s)),
  },
  fc
    .record({ verb: fc.constantFrom(...VERBS), option: fc.constantFrom(...OPTIONS) })
    .map(({ verb, option }) => Uint8Array.of(IAC, verb, option)),
  fc.constantFrom(Cmd.GA, Cmd.EOR, Cmd.NOP, Cmd.AYT, Cmd.SE).map((cmd) => Uint8Array.of(IAC, cmd)),
  fc.constantFrom(
    sb(Opt.TTYPE, Uint8Array.of(1)),
    sb(Opt.GMCP, Buffer.from('Char.Vitals {"hp":1,"name":"é"}')),
    sb(Opt.GMCP, Buffer.from('Core.Ping')),
    sb(Opt.MSDP, parseWire('{1}ROOM{2 3 1}VNUM{2}6008{4}')),
    sb(Opt.MSSP, parseWire('{1}NAME{2}Test{1}PLAYERS{2}3')),
    sb(Opt.CHARSET, parseWire('{1};ISO-8859-1;UTF-8')),
    sb(99, Uint8Array.of(1, 255, 2)),
  ),
  fc.uint8Array({ maxLength: 6000 }).map((body) => sb(Opt.TTYPE, body)), // sometimes over the cap
);

const stream = fc.array(token, { maxLength: 40 }).map((tokens) => Buffer.concat(tokens));
const cuts = fc.array(fc.nat({ max: 8000 }), { maxLength: 12 });
// Not shift_jis here: iconv-lite 0.7.3's DBCS decoder drops the byte after an invalid lead
// byte when the two arrive in different writes (E0 | 00 loses the NUL), so arbitrary bytes
// differ by split. Valid multi-byte text split anywhere is checked in telnet-charset tests.
const encoding = fc.constantFrom('utf-8', 'cp437', 'latin1', 'koi8-r');

test('D4/D5: any chunking of the backend stream gives the same events', () => {
  fc.assert(
    fc.property(stream, cuts, encoding, (wire, offsets, charset) => {
      const options = { ...DEFAULT_OPTIONS, encoding: charset };
      const whole = feedAll(new TelnetEngine(options), [wire]);
      const split = feedAll(new TelnetEngine(options), splitAt(wire, offsets));
      assert.deepStrictEqual(split, whole);
    }),
    { numRuns: 400 },
  );
});

test('every byte split of a compressed (MCCP2) stream gives the same events', () => {
  fc.assert(
    fc.property(stream, stream, cuts, (inner, after, offsets) => {
      const wire = Buffer.concat([
        parseWire('{IAC WILL MCCP2}before{IAC SB MCCP2 IAC SE}'),
        deflateSync(inner),
        after,
      ]);
      const whole = feedAll(new TelnetEngine(DEFAULT_OPTIONS), [wire]);
      assert.ok(!whole.some((event) => event.kind === 'fatal'));
      const split = feedAll(new TelnetEngine(DEFAULT_OPTIONS), splitAt(wire, offsets));
      assert.deepStrictEqual(split, whole);
    }),
    { numRuns: 200 },
  );
});

function parseAll(chunks: readonly Uint8Array[]): { data: Buffer; other: string[] } {
  const data: Uint8Array[] = [];
  const other: string[] = [];
  const sink: ParserSink = {
    data: (bytes) => data.push(Buffer.from(bytes)),
    command: (code) => other.push(`command ${code}`),
    negotiate: (verb, option) => other.push(`negotiate ${verb} ${option}`),
    subnegotiation: (option) => {
      other.push(`sb ${option}`);
      return false;
    },
    warning: (message) => other.push(message),
  };
  const parser = new TelnetParser(sink, () => 4096);
  parser.stripNulAfterCr = false;
  for (const chunk of chunks) parser.feed(chunk);
  return { data: Buffer.concat(data), other };
}

test('escaping then parsing returns the original bytes, however they are split', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), cuts, (bytes, offsets) => {
      const parsed = parseAll(splitAt(escapeIac(bytes), offsets));
      assert.deepStrictEqual(parsed.other, []);
      assert.deepStrictEqual(parsed.data, Buffer.from(bytes));
    }),
    { numRuns: 500 },
  );
});

test('D1/D2/D3: browser input never reaches the backend as a telnet command', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }),
      encoding,
      (messages, charset) => {
        const codec = new TelnetEngine({ ...DEFAULT_OPTIONS, encoding: charset });
        const wire = messages.map((message) => codec.fromClient(message));
        assert.deepStrictEqual(parseAll(wire).other, []);
      },
    ),
    { numRuns: 300 },
  );
});

test('C19: replies only on a state change or a refusal, never more bytes than requested', () => {
  const requests = fc.array(
    fc.record({
      verb: fc.constantFrom(...VERBS),
      option: fc.constantFrom(...OPTIONS, Opt.NAWS, Opt.ECHO),
    }),
    { maxLength: 300 },
  );
  fc.assert(
    fc.property(requests, (list) => {
      const codec = new TelnetEngine(DEFAULT_OPTIONS);
      const policy = new OptionTable();
      let received = 0;
      let replied = 0;
      for (const { verb, option } of list) {
        const side = verb === Cmd.WILL || verb === Cmd.WONT ? 'him' : 'us';
        const before = codec.enabled(side, option);
        const sent = bytesOf(codec.fromBackend(Uint8Array.of(IAC, verb, option)), 'send');
        const changed = codec.enabled(side, option) !== before;
        const positive = verb === Cmd.WILL || verb === Cmd.DO;
        const refusal = positive && !before && !policy.acceptable(side, option);
        received += 3;
        const reply = sent.subarray(0, 3);
        if (changed || refusal) {
          assert.equal(reply.length, 3, `no reply to ${verb} ${option}`);
          replied += 3;
        } else assert.equal(sent.length, 0, `reply to ${verb} ${option} without a state change`);
      }
      assert.ok(replied <= received);
    }),
    { numRuns: 300 },
  );
});
