/**
 * MXP, the secure subset (DOM-free): line modes, `<send>`/`<a>` links only in secure mode and
 * only to addresses this client made, styles as SGR, unknown tags shown as text, entities,
 * chunking, and hostile input that cannot make anything but plain text and safe links.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { safeLinkUrl } from '../client/links.ts';
import { MxpLimits, MxpParser } from '../client/mud/mxp.ts';
import { menuItems } from '../client/mud/send-menu.ts';

const NONCE = 'n0nce';
const BASE = `https://mxp.invalid/${NONCE}/`;
const E = '\x1b';
const secure = (s: string): string => `${E}[1z${s}${E}[7z`;
// biome-ignore lint/suspicious/noControlCharactersInRegex: OSC 8 is an escape sequence.
const OSC8 = /\x1b\]8;;(.*?)\x1b\\/g;
const osc8Targets = (s: string): string[] => [...s.matchAll(OSC8)].map((m) => m[1] ?? '');
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping escape sequences.
const plain = (s: string): string => s.replace(OSC8, '').replace(/\x1b\[[\d;]*m/g, '');

test('tbaMUD exits: ESC[1z<send>ESC[7z n ESC[1z</send>ESC[7z is a link that sends n', () => {
  const p = new MxpParser(NONCE);
  const out = p.push(
    `[ Exits: ${secure('<send>')}n${secure('</send>')} ${secure('<send>')}e${secure('</send>')} ]\r\n`,
  );
  assert.equal(plain(out), '[ Exits: n e ]\r\n');
  const targets = osc8Targets(out).filter((t) => t !== '');
  assert.equal(targets.length, 2);
  assert.deepEqual(p.link(targets[0] ?? ''), {
    kind: 'send',
    commands: ['n'],
    hint: '',
    prompt: false,
  });
  assert.deepEqual(p.link(targets[1] ?? ''), {
    kind: 'send',
    commands: ['e'],
    hint: '',
    prompt: false,
  });
});

test('href, hint, menus, prompt and &text;', () => {
  const p = new MxpParser(NONCE);
  const out = p.push(
    secure('<send href="look fountain|drink fountain" hint="Look|Drink">fountain</send> ') +
      secure("<send 'get &text;' prompt>sword</send>"),
  );
  assert.equal(plain(out), 'fountain sword');
  const [a, b] = osc8Targets(out).filter((t) => t !== '');
  assert.deepEqual(p.link(a ?? ''), {
    kind: 'send',
    commands: ['look fountain', 'drink fountain'],
    hint: 'Look|Drink',
    prompt: false,
  });
  assert.deepEqual(p.link(b ?? ''), {
    kind: 'send',
    commands: ['get sword'],
    hint: '',
    prompt: true,
  });
});

test('secure tags in open or locked mode make no link; open-mode styles work; locked text is literal', () => {
  const p = new MxpParser(NONCE);
  const out = p.push('Say: <send href="quit">free gold</send> <b>bold</b>\n');
  assert.deepEqual(osc8Targets(out), []);
  assert.equal(out, `Say: free gold ${E}[1mbold${E}[22m\n`);
  assert.equal(p.push(`${E}[7z<b>x</b> <send>n</send>\n`), '<b>x</b> <send>n</send>\n');
  assert.equal(p.push(`${E}[3z<i>y</i>`), `${E}[3my${E}[23m`, 'ESC[3z resets to open');
});

test('<a>: only absolute http(s) links; javascript:, data: and credentials stay plain text', () => {
  const p = new MxpParser(NONCE);
  const ok = p.push(secure('<a href="https://example.org/map">the map</a>'));
  assert.deepEqual(p.link(osc8Targets(ok)[0] ?? ''), {
    kind: 'url',
    url: 'https://example.org/map',
    hint: '',
  });
  for (const href of [
    'javascript:alert(1)',
    'data:text/html,<script>',
    'https://a@b.example/',
    '/rel',
  ]) {
    const out = p.push(secure(`<a href="${href}">x</a>`));
    assert.deepEqual(osc8Targets(out), [], href);
    assert.equal(plain(out), 'x');
  }
});

test('colours, nesting and closing restore what is still open; a line end closes everything', () => {
  const p = new MxpParser(NONCE);
  assert.equal(
    p.push('<color red>r<b>rb</b></color>'),
    `${E}[38;2;255;0;0mr${E}[1mrb${E}[22m${E}[38;2;255;0;0m${E}[39m`,
  );
  assert.equal(p.push('<c #00ff00 black>g\n'), `${E}[38;2;0;255;0;48;2;0;0;0mg${E}[0m\n`);
  assert.equal(p.push('<color fore=nonsense>t</color>'), 't');
});

test('unknown tags and stray < and & are text; entities decode; dropped elements vanish', () => {
  const p = new MxpParser(NONCE);
  assert.equal(p.push('<120hp 80m 100mv> '), '<120hp 80m 100mv> ');
  assert.equal(p.push('a < b && c &lt;b&gt; &#65;&bogus; '), 'a < b && c <b> A&bogus; ');
  assert.equal(p.push('<!ELEMENT RName FLAG="RoomName"><VERSION><SOUND x.wav>ok'), 'ok');
  assert.equal(p.push('<br>x'), '\r\nx');
});

test('<VERSION> and <SUPPORT> are answered once each, bounded, and show nothing', () => {
  const p = new MxpParser(NONCE);
  assert.equal(p.push(secure('<VERSION>') + secure('<SUPPORT>')), '');
  const [version, support] = p.takeReplies();
  assert.equal(version, `${E}[1z<VERSION MXP=1.0 CLIENT=Porthole VERSION=1.0>`);
  assert.ok(support?.startsWith(`${E}[1z<SUPPORTS +b `) && support.includes(' +send '), support);
  assert.deepEqual(p.takeReplies(), []);
  p.push(secure('<VERSION>'.repeat(50)));
  assert.equal(p.takeReplies().length, 4);
});

test('other escape sequences pass through; < inside an OSC string is not a tag', () => {
  const p = new MxpParser(NONCE);
  const osc = `${E}]0;<b>title${E}\\`;
  assert.equal(p.push(`${E}[1;31mred${E}[0m${osc}`), `${E}[1;31mred${E}[0m${osc}`);
});

test('a host cannot forge our links: only addresses this parser issued resolve', () => {
  const p = new MxpParser(NONCE);
  p.push(secure('<send>n</send>'));
  assert.ok(p.link(`${BASE}1`));
  assert.equal(p.link(`https://mxp.invalid/other/1`), undefined);
  assert.equal(p.link(`${BASE}999`), undefined);
  for (let i = 0; i < MxpLimits.maxLinks + 5; i++) p.push(secure('<send>x</send>'));
  assert.equal(p.link(`${BASE}1`), undefined, 'the link table is bounded');
});

const token = fc.oneof(
  fc.constantFrom(
    '<send>',
    '</send>',
    '<send href="a|b" hint="h">',
    '<a href="https://x.example/">',
    '</a>',
    '<a href="javascript:alert(1)">',
    '<b>',
    '</b>',
    '<color red>',
    '</color>',
    '<script>',
    '<img src=x onerror=alert(1)>',
    '&lt;',
    '&amp;',
    '&#0;',
    '&#x1b;',
    '\n',
    '\r\n',
    '<',
    '>',
    '&',
    `${E}[1z`,
    `${E}[0z`,
    `${E}[2z`,
    `${E}[3z`,
    `${E}[4z`,
    `${E}[6z`,
    `${E}[7z`,
    `${E}[1;32m`,
    '<send "\r\nquit">',
    '<send href="&#13;&#10;quit">',
  ),
  fc.string({ maxLength: 8 }).map((s) => s.replaceAll(E, '')),
);

test('property: any chunking gives the same output; links are ours, safe and balanced', () => {
  fc.assert(
    fc.property(
      fc.array(token, { maxLength: 60 }),
      fc.array(fc.nat(40), { maxLength: 6 }),
      (tokens, cuts) => {
        const input = tokens.join('');
        const whole = new MxpParser(NONCE);
        const expected = whole.push(input);
        const chunked = new MxpParser(NONCE);
        let out = '';
        let at = 0;
        for (const c of [...cuts].sort((a, b) => a - b)) {
          out += chunked.push(input.slice(at, Math.max(at, c)));
          at = Math.max(at, c);
        }
        out += chunked.push(input.slice(at));
        assert.equal(out, expected);
        const targets = osc8Targets(expected);
        for (const t of targets) {
          if (t === '') continue;
          assert.ok(t.startsWith(BASE), t);
          const link = whole.link(t);
          assert.ok(link, t);
          if (link.kind === 'url') assert.equal(safeLinkUrl(link.url), link.url);
          else
            for (const c of link.commands)
              assert.ok(![...c].some((ch) => ch < ' ' || ch === '\x7f'), c);
        }
        const opens = targets.filter((t) => t !== '').length;
        assert.ok(targets.length - opens <= opens + 1, 'every link is closed at most once');
        assert.ok(expected.length <= input.length * 8 + 64, 'bounded growth');
      },
    ),
  );
});

test('send menus: hints label the commands; with one hint extra the first is the tooltip', () => {
  assert.deepEqual(menuItems(['look', 'drink'], 'Look|Drink'), [
    { label: 'Look', command: 'look' },
    { label: 'Drink', command: 'drink' },
  ]);
  assert.deepEqual(menuItems(['buy sword', 'buy axe'], 'Buy something|Sword|Axe'), [
    { label: 'Sword', command: 'buy sword' },
    { label: 'Axe', command: 'buy axe' },
  ]);
  assert.deepEqual(menuItems(['a', 'b'], ''), [
    { label: 'a', command: 'a' },
    { label: 'b', command: 'b' },
  ]);
});
