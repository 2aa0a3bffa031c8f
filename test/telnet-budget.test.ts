/**
 * Issue 9: the telnet engine's work per call is bounded when the session asks
 * (`maxEventsPerCall`): a flood read is worked through in steps via `more()`, and the
 * events, joined, are exactly those of the unbounded engine, whatever the chunking.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import type { CodecEvent } from '../server/codec/codec.ts';
import { Cmd, Opt } from '../server/telnet/codes.ts';
import { TelnetEngine } from '../server/telnet/engine.ts';
import { DEFAULT_OPTIONS, mergeAdjacent, showEvent } from './helpers/telnet-transcript.ts';

const { IAC, SB, SE, WILL, WONT, GA } = Cmd;
const BUDGET = 100;

/** Feeds `wire` as one read, then calls more() until the backlog is gone; checks each call. */
function bounded(wire: Uint8Array, slack: number): { events: CodecEvent[]; calls: number } {
  const codec = new TelnetEngine({ ...DEFAULT_OPTIONS, maxEventsPerCall: BUDGET });
  const events: CodecEvent[] = [];
  let batch = codec.fromBackend(wire);
  let calls = 1;
  for (;;) {
    assert.ok(batch.length <= BUDGET + slack, `call ${calls} gave ${batch.length} events`);
    events.push(...batch);
    if (!codec.backlog) break;
    batch = codec.more();
    calls++;
  }
  return { events: mergeAdjacent(events), calls };
}

function unbounded(wire: Uint8Array): CodecEvent[] {
  return mergeAdjacent(new TelnetEngine(DEFAULT_OPTIONS).fromBackend(wire));
}

const gmcp = (text: string): Buffer =>
  Buffer.concat([Uint8Array.of(IAC, SB, Opt.GMCP), Buffer.from(text), Uint8Array.of(IAC, SE)]);

test('a read of 20 000 GAs with text between is worked through in bounded steps', () => {
  const wire = Buffer.concat(
    Array.from({ length: 20_000 }, (_, i) => Buffer.from([0x61 + (i % 26), IAC, GA])),
  );
  const { events, calls } = bounded(wire, 2);
  assert.ok(calls >= 20_000 / BUDGET, `${calls} calls`);
  assert.deepEqual(events.map(showEvent), unbounded(wire).map(showEvent));
});

test('GMCP and negotiation storms in one read: same events, bounded per call', () => {
  const wire = Buffer.concat([
    Uint8Array.of(IAC, WILL, Opt.GMCP),
    ...Array.from({ length: 3000 }, (_, i) => gmcp(`Char.Vitals {"hp":${i}}`)),
    ...Array.from({ length: 1000 }, () => Uint8Array.of(IAC, WILL, Opt.ECHO, IAC, WONT, Opt.ECHO)),
    Buffer.from('end'),
  ]);
  const { events } = bounded(wire, 2);
  assert.deepEqual(events.map(showEvent), unbounded(wire).map(showEvent));
});

test('MCCP2: a compressed GA flood is inflated a step at a time, not all in one call', () => {
  const inner = Buffer.concat([Buffer.alloc(200_000, Uint8Array.of(IAC, GA)), Buffer.from('tail')]);
  const wire = Buffer.concat([
    Uint8Array.of(IAC, WILL, Opt.MCCP2),
    Uint8Array.of(IAC, SB, Opt.MCCP2, IAC, SE),
    deflateSync(inner),
    Buffer.from(' plain'),
  ]);
  // One inflate step (64 KiB) of GAs is 32 768 events: the budget is checked between steps.
  const { events, calls } = bounded(wire, 32_768 + 2);
  assert.ok(calls >= 3, `${calls} calls`);
  assert.deepEqual(events.map(showEvent), unbounded(wire).map(showEvent));
  assert.equal(showEvent(events.at(-1) ?? { kind: 'prompt' }), 'data "tail plain"');
});
