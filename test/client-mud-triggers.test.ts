/**
 * Triggers and the line filter (DOM-free): completed lines are matched without colour
 * codes, gagged or highlighted with the host's colours restored, partial lines held while
 * rewriting triggers exist, and a trigger that loops is suspended with a message.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LineFilter, LineLimits } from '../client/mud/line-filter.ts';
import type { Trigger } from '../client/mud/profile.ts';
import { TriggerEngine, TriggerLimits } from '../client/mud/triggers.ts';

const trig = (pattern: string, more: Partial<Trigger> = {}): Trigger => ({
  pattern,
  regex: false,
  highlight: '',
  gag: false,
  send: '',
  sound: false,
  notify: false,
  enabled: true,
  ...more,
});

function setup(triggers: Trigger[], now = () => 0) {
  const engine = new TriggerEngine(triggers, now);
  const seen: string[] = [];
  const filter = new LineFilter((plain) => {
    seen.push(plain);
    return engine.match(plain);
  });
  filter.hold = engine.rewrites;
  return { engine, filter, seen };
}

test('lines are matched on text without colour codes, across chunk and escape boundaries', () => {
  const { filter, seen } = setup([trig('hungry', { send: 'eat' })]);
  let out = '';
  for (const chunk of ['\x1b[1;3', '1mYou are hun', 'gry.\x1b[0m\r', '\n> '])
    out += filter.push(chunk);
  assert.deepEqual(seen, ['You are hungry.']);
  assert.equal(
    out,
    '\x1b[1;31mYou are hungry.\x1b[0m\r\n> ',
    'nothing held without rewriting triggers',
  );
});

test('a gag hides the whole line; a highlight colours the match and restores the host colour', () => {
  const { filter } = setup([
    trig('spam'),
    trig('gossips', { gag: true }),
    trig('orc', { highlight: '#ff8800' }),
  ]);
  const out = filter.push('Bob gossips: hi\r\n\x1b[32mAn orc is here.\r\nok\r\n');
  assert.equal(out, '\x1b[32mAn \x1b[38;2;255;136;0morc\x1b[0m\x1b[32m is here.\r\nok\r\n');
});

test('with rewriting triggers the partial line waits for its end or flush()', () => {
  const { filter } = setup([trig('prompt', { gag: true })]);
  assert.equal(filter.push('HP 10> '), '');
  assert.equal(filter.held, 7);
  assert.equal(filter.flush(), 'HP 10> ');
  assert.equal(
    filter.push('look\r\nthe prompt\r\n'),
    'look\r\n',
    'the rest of a flushed line, then a gagged one',
  );
  const long = 'x'.repeat(LineLimits.maxHeldChars + 1);
  assert.equal(filter.push(long), long, 'a very long partial is not held');
});

test('regex triggers send with $1 and a send loop is suspended with a message', () => {
  let t = 0;
  const engine = new TriggerEngine(
    [trig('^(\\w+) attacks you', { regex: true, send: 'kill $1' })],
    () => t,
  );
  const first = engine.match('Orc attacks you!');
  assert.deepEqual(first?.sends, ['kill Orc']);
  let sent = 1;
  let messages: string[] = [];
  for (let i = 0; i < 100; i++) {
    t += 10;
    const r = engine.match('Orc attacks you!');
    sent += r?.sends.length ?? 0;
    messages = messages.concat(r?.messages ?? []);
  }
  assert.equal(sent, TriggerLimits.maxFiresPerTrigger);
  assert.equal(messages.length, 1);
  assert.match(messages[0] ?? '', /suspended: it fired 21 times in 10 s/);
  assert.equal(engine.match('Orc attacks you!'), undefined, 'stays suspended');
  engine.set([trig('^(\\w+) attacks you', { regex: true, send: 'kill $1' })]);
  assert.deepEqual(engine.match('Orc attacks you!')?.sends, ['kill Orc'], 'editing lifts it');
});

test('all triggers together send at most maxSendsTotal per window', () => {
  const many = Array.from({ length: 10 }, (_, i) => trig(`w${i}`, { send: `say ${i}` }));
  const engine = new TriggerEngine(many, () => 5);
  let sent = 0;
  for (let i = 0; i < 10; i++)
    sent += engine.match('w0 w1 w2 w3 w4 w5 w6 w7 w8 w9')?.sends.length ?? 0;
  assert.equal(sent, TriggerLimits.maxSendsTotal);
});

test('property: without gags the filter writes every byte it was given, in order, whatever the chunking', () => {
  const piece = fc.constantFrom(
    'a',
    'orc',
    '\r\n',
    '\n',
    '\x1b[31m',
    '\x1b[0m',
    '\x1b]8;;http://x\x07',
    '\x1b',
    '[',
    'm',
    '<b>',
    ' ',
  );
  fc.assert(
    fc.property(
      fc.array(piece, { maxLength: 40 }),
      fc.array(fc.nat(5), { maxLength: 10 }),
      (pieces, cuts) => {
        const text = pieces.join('');
        const { filter } = setup([trig('orc', { send: 'x' })]);
        let out = '';
        let at = 0;
        for (const n of cuts) {
          out += filter.push(text.slice(at, at + n));
          at += n;
        }
        out += filter.push(text.slice(at)) + filter.flush();
        assert.equal(out, text);
      },
    ),
  );
});

test('property: highlights never lose text — stripping the added colours gives the input back', () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom('orc', 'elf', ' ', '\x1b[1m', '\x1b[0m', '\r\n'), { maxLength: 30 }),
      (pieces) => {
        const text = `${pieces.join('')}\r\n`;
        const { filter } = setup([
          trig('orc', { highlight: '#00ff00' }),
          trig('o', { highlight: '#0000ff' }),
        ]);
        const out = filter.push(text) + filter.flush();
        // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping SGR.
        const strip = (s: string): string => s.replace(/\x1b\[[\d;]*m/g, '');
        assert.equal(strip(out), strip(text));
      },
    ),
  );
});
