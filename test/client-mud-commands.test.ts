/**
 * MUD command-line scripting and profiles (DOM-free): the separator and its escape, repeat,
 * speedwalk, word and regex aliases, the bounds that stop alias loops, and profile
 * normalisation / import / export. Properties (fast-check) for the parsers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  CommandLimits,
  expandLine,
  parseSpeedwalk,
  type ScriptOptions,
  splitCommands,
} from '../client/mud/commands.ts';
import {
  type Alias,
  DEFAULT_PROFILE,
  exportProfile,
  importProfile,
  loadProfile,
  normalizeProfile,
  saveProfile,
} from '../client/mud/profile.ts';
import { MemoryStorage } from '../client/storage.ts';

const alias = (pattern: string, body: string, regex = false): Alias => ({
  pattern,
  body,
  regex,
  enabled: true,
});
const opts = (aliases: Alias[] = [], separator = ';'): ScriptOptions => ({
  separator,
  speedwalk: true,
  aliases,
});
const run = (line: string, o: ScriptOptions = opts()): string[] => expandLine(line, o).commands;

test('the separator splits, \\; is a literal one, empty parts are dropped, an empty line is sent', () => {
  assert.deepEqual(run('n;e;s'), ['n', 'e', 's']);
  assert.deepEqual(run('say hi\\; there;wave'), ['say hi; there', 'wave']);
  assert.deepEqual(run('n;;e; '), ['n', 'e']);
  assert.deepEqual(run(''), ['']);
  assert.deepEqual(run('n||e', opts([], '||')), ['n', 'e'], 'a configured separator');
  assert.deepEqual(run('n;e', opts([], '')), ['n;e'], 'splitting off');
});

test('repeat and speedwalk expand; ordinary words are left alone', () => {
  assert.deepEqual(run('#3 smile'), ['smile', 'smile', 'smile']);
  assert.deepEqual(run('#2 n;e'), ['n', 'n', 'e'], 'the separator splits before repeat');
  assert.deepEqual(run('3n2e'), ['n', 'n', 'n', 'e', 'e']);
  assert.deepEqual(run('2ne1u'), ['ne', 'ne', 'u']);
  for (const word of ['news', 'sw', 'n', 'down', 'seen', 'e2e2x']) {
    assert.deepEqual(run(word), [word], word);
  }
  assert.equal(parseSpeedwalk('0n'), undefined);
  assert.match(expandLine('#500 smile', opts()).error ?? '', /at most 100 repeats/);
});

test('word aliases take $1…, $* and append unused words; regex aliases use groups', () => {
  const o = opts([
    alias('k', 'kill $1'),
    alias('gt', 'tell guild $*'),
    alias('l', 'look'),
    alias('^get all from (\\w+)$', 'get all $1;put all bag', true),
    alias('tw', 'take $1;wear $1'),
  ]);
  assert.deepEqual(run('k orc', o), ['kill orc']);
  assert.deepEqual(run('gt hello all; k rat', o), ['tell guild hello all', 'kill rat']);
  assert.deepEqual(run('l north', o), ['look north']);
  assert.deepEqual(run('get all from corpse', o), ['get all corpse', 'put all bag']);
  assert.deepEqual(run('tw ring', o), ['take ring', 'wear ring']);
  assert.deepEqual(run('kill orc', o), ['kill orc'], 'only the whole first word matches');
  assert.deepEqual(run('gt a\\;b', o), ['tell guild a;b'], 'an escaped separator stays literal');
});

test('alias loops and floods stop with an error instead of hanging', () => {
  const loop = opts([alias('a', 'b'), alias('b', 'a')]);
  const r = expandLine('a', loop);
  assert.deepEqual(r.commands, []);
  assert.match(r.error ?? '', /alias loop/);
  const flood = opts([alias('x', '#100 y;#100 y')]);
  const f = expandLine('x', flood);
  assert.equal(f.commands.length, CommandLimits.maxCommands);
  assert.match(f.error ?? '', /at most 100 commands/);
});

test('property: joining escaped parts with the separator and splitting gives them back', () => {
  const part = fc.string({ maxLength: 12 }).map((s) => s.trim());
  fc.assert(
    fc.property(
      fc.array(part, { minLength: 1, maxLength: 8 }),
      fc.constantFrom(';', '|', '&'),
      (parts, sep) => {
        const escaped = parts.map((p) => p.replaceAll(sep, `\\${sep}`));
        const back = splitCommands(escaped.join(sep), sep);
        // A part that ends in "\" would escape the next separator: those are not round-trippable.
        fc.pre(escaped.every((p) => !p.endsWith('\\')));
        assert.deepEqual(back, parts);
      },
    ),
  );
});

test('property: speedwalk output is only directions and its length is the sum of the counts', () => {
  const step = fc.record({
    n: fc.integer({ min: 1, max: 9 }),
    d: fc.constantFrom('n', 'e', 's', 'w', 'u', 'd', 'ne', 'sw'),
  });
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (steps) => {
      const text = steps.map((s) => `${s.n}${s.d}`).join('');
      const out = parseSpeedwalk(text);
      assert.ok(out !== undefined, text);
      assert.equal(
        out.length,
        steps.reduce((a, s) => a + s.n, 0),
      );
      assert.deepEqual(
        out,
        steps.flatMap((s) => Array(s.n).fill(s.d)),
      );
    }),
  );
});

test('property: any line with any aliases expands without throwing and within the bounds', () => {
  const word = fc.constantFrom('a', 'b', 'k', 'x', '#3', '#99', '3n', ';', '\\;', '$1', '$*', ' ');
  const text = fc.array(word, { maxLength: 12 }).map((w) => w.join(''));
  const anAlias = fc.record({
    pattern: fc.constantFrom('a', 'b', 'k', 'x'),
    body: text,
    regex: fc.constant(false),
    enabled: fc.boolean(),
  });
  fc.assert(
    fc.property(text, fc.array(anAlias, { maxLength: 6 }), (line, aliases) => {
      const r = expandLine(line, opts(aliases));
      assert.ok(r.commands.length <= CommandLimits.maxCommands);
    }),
    { numRuns: 500 },
  );
});

test('profiles: stored and imported values are normalised, bad entries dropped with a reason', () => {
  const { profile, dropped } = normalizeProfile({
    separator: ';;;;',
    aliases: [alias('k', 'kill $1'), alias('two words', 'x'), alias('(', 'x', true), 'junk'],
    triggers: [{ pattern: 'hungry', highlight: '#FF0000', send: 'eat bread' }, { pattern: '' }],
    keys: [
      { key: 'F1', command: 'look' },
      { key: '<script>', command: 'x' },
    ],
  });
  assert.equal(profile.separator, ';;;');
  assert.deepEqual(
    profile.aliases.map((a) => a.pattern),
    ['k'],
  );
  assert.equal(profile.triggers[0]?.highlight, '#ff0000');
  assert.equal(profile.triggers[0]?.enabled, true);
  assert.equal(profile.triggers.length, 1);
  assert.deepEqual(profile.keys, [{ key: 'F1', command: 'look' }]);
  assert.equal(dropped.length, 5, dropped.join(' | '));
  assert.deepEqual(normalizeProfile('nonsense').profile, { ...DEFAULT_PROFILE });

  const storage = new MemoryStorage();
  saveProfile(storage, 'tba', profile);
  assert.deepEqual(loadProfile(storage, 'tba'), profile);
  assert.deepEqual(loadProfile(storage, 'other'), { ...DEFAULT_PROFILE });
  const file = exportProfile('tba', profile);
  const back = importProfile(file);
  assert.ok(typeof back !== 'string');
  assert.deepEqual(back.profile, profile);
  assert.equal(importProfile('{"aliases":[]}'), 'The file is not a Porthole profile.');
  assert.equal(importProfile('not json'), 'The file is not JSON.');
});
