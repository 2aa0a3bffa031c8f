/** Word wrap for line-mode hosts on narrow screens (issue 11). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WordWrap } from '../client/word-wrap.ts';

/**
 * A tiny terminal for what WordWrap emits: printable cells, CR, LF, CUF (ESC[nC), EL (ESC[K),
 * SGR ignored, and auto-wrap at the right edge with xterm's pending-wrap rule. Returns rows.
 */
function render(text: string, cols: number): string[] {
  const rows: string[][] = [[]];
  let x = 0;
  let y = 0;
  const row = (): string[] => {
    rows[y] ??= [];
    return rows[y] as string[];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    if (ch === '\x1b') {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences.
      const m = /^\x1b\[([\d;]*)([A-Za-z])/.exec(text.slice(i));
      if (m === null) throw new Error(`unexpected escape at ${i}`);
      i += m[0].length - 1;
      if (m[2] === 'C') x = Math.min(cols - 1, x + Number(m[1] || 1));
      else if (m[2] === 'K') row().length = Math.min(row().length, x);
      continue;
    }
    if (ch === '\r') x = 0;
    else if (ch === '\n') y++;
    else {
      if (x >= cols) {
        x = 0;
        y++;
      }
      const r = row();
      while (r.length < x) r.push(' ');
      r[x] = ch;
      x++;
    }
  }
  return rows.map((r) => r.join('').trimEnd());
}

const MUD =
  'The tavern is warm and loud. A bard in the corner sings of dragons and lost gold, ' +
  'while a tired adventurer counts her coins beside the fire.\r\n> ';

test('words that would cross the edge move to the next line; no word is cut', () => {
  const w = new WordWrap();
  w.width = 30;
  const rows = render(w.push(MUD), 30);
  for (const r of rows) assert.ok(r.length <= 30, r);
  const words = MUD.replace(/\r\n> $/, '').split(' ');
  const shown = rows.slice(0, -1).join(' ').split(' ');
  assert.deepEqual(shown, words, 'every word whole, in order');
  assert.equal(rows.at(-1), '>');
});

test('the output does not depend on how the stream was cut into chunks', () => {
  const whole = new WordWrap();
  whole.width = 23;
  const coloured = MUD.replace('dragons', '\x1b[1;31mdrag\x1b[0;33mons\x1b[0m');
  const expected = render(whole.push(coloured), 23);
  for (let seed = 1; seed <= 40; seed++) {
    const w = new WordWrap();
    w.width = 23;
    let out = '';
    for (let at = 0; at < coloured.length; ) {
      const n = 1 + ((seed * 7 + at * 13) % 11);
      out += w.push(coloured.slice(at, at + n));
      at += n;
    }
    assert.deepEqual(render(out, 23), expected, `seed ${seed}`);
  }
});

test('a word longer than the line wraps as it must; a prompt shows at once', () => {
  const w = new WordWrap();
  w.width = 10;
  assert.deepEqual(render(w.push('ab abcdefghijklmn xy'), 10), ['ab', 'abcdefghij', 'klmn xy']);
  assert.equal(new WordWrap().push('HP:100> '), 'HP:100> ', 'nothing is held back');
});

test('cursor-addressed output passes through untouched until reset', () => {
  const w = new WordWrap();
  w.width = 10;
  // Home + clear screen (a MUD's login) is followed, not a reason to stop.
  assert.equal(w.push('\x1b[H\x1b[2J').length, 7);
  assert.equal(w.bypassed, false);
  const status = '\x1b[5;1Hhello wonderful world of statuses';
  assert.equal(w.push(status), status);
  assert.equal(w.bypassed, true);
  assert.equal(w.push('aaa bbb ccc ddd'), 'aaa bbb ccc ddd');
  w.reset();
  assert.notEqual(w.push('aaa bbb ccc ddd'), 'aaa bbb ccc ddd', 'wrapping again');
  for (const seq of ['\x1b[?1049h', '\x1b7', '\x1b[2;20r', '\x1b[3A']) {
    const v = new WordWrap();
    v.push(seq);
    assert.equal(v.bypassed, true, JSON.stringify(seq));
  }
  for (const seq of ['\x1b[0;1;32m', '\x1b[K', '\x1b[?25l', '\x1b]0;title\x07', '\x1b[10G']) {
    const v = new WordWrap();
    v.push(seq);
    assert.equal(v.bypassed, false, JSON.stringify(seq));
  }
});

test('wide characters count two cells', () => {
  const w = new WordWrap();
  w.width = 10;
  const rows = render(w.push('ab 漢字漢字漢'), 10);
  assert.deepEqual(rows, ['ab', '漢字漢字漢']);
});
