/**
 * Session logs (DOM-free): the HTML log escapes every host character and carries no script,
 * the auto-log stays under its bound dropping whole old lines, and palette colours resolve
 * like xterm's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { paletteColor, type Run } from '../client/mud/cells.ts';
import { AutoLog, LogLimits, logFileName, logHtml, logText } from '../client/mud/session-log.ts';
import { MemoryStorage } from '../client/storage.ts';

const run = (text: string, more: Partial<Run> = {}): Run => ({
  text,
  fg: undefined,
  bg: undefined,
  bold: false,
  italic: false,
  underline: false,
  dim: false,
  ...more,
});

test('HTML log: colours and styles as inline CSS, host text escaped, a CSP that forbids script', () => {
  const html = logHtml(
    'tba',
    [
      [run('Temple', { fg: '#ff0000', bold: true }), run(' <b>&"\'')],
      [run('x', { fg: 'red;x:url(y)' })],
    ],
    '#d8dee9',
    '#0f1419',
  );
  assert.match(
    html,
    /<span style="color:#ff0000;font-weight:bold">Temple<\/span> &#60;b&#62;&#38;&#34;&#39;\nx/,
  );
  assert.doesNotMatch(html, /url\(y\)/, 'a colour that is not #rrggbb is left out');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.equal(logText([[run('a'), run('b')], [run('c')]]), 'ab\nc\n');
});

test('property: no host text can open a tag or a script in the HTML log', () => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.string(), { maxLength: 4 }), { maxLength: 6 }), (lines) => {
      const html = logHtml(
        't',
        lines.map((l) => l.map((t) => run(t))),
        '#000000',
        '#ffffff',
      );
      const body = html.slice(html.indexOf('<pre'), html.lastIndexOf('</pre>'));
      const tags = body.match(/<[^>]*>/g) ?? [];
      assert.ok(
        tags.every((t) => /^<(pre|span|\/span)[ >]/.test(t) || t === '</span>'),
        tags.join(),
      );
    }),
  );
});

test('auto-log: bounded, oldest whole lines dropped, persisted on flush, cleared on request', () => {
  const storage = new MemoryStorage();
  const log = new AutoLog(storage, 'tba');
  const line = 'x'.repeat(1000);
  for (let i = 0; i < 400; i++) log.add(`${i} ${line}`);
  assert.ok(log.text.length <= LogLimits.maxAutoLogChars);
  assert.match(log.text, /^\d+ x+\n/, 'starts at a whole line');
  assert.match(log.text, /399 x+\n$/);
  assert.equal(log.flush(), true);
  assert.equal(log.flush(), false, 'nothing new, nothing written');
  assert.equal(new AutoLog(storage, 'tba').text, log.text);
  log.clear();
  assert.equal(new AutoLog(storage, 'tba').text, '');
  log.add('y'.repeat(LogLimits.maxLineChars + 500));
  assert.equal(log.text.length, LogLimits.maxLineChars + 1);
});

test('file names and the 256-colour palette', () => {
  assert.equal(
    logFileName('a b/c', 'txt', new Date(2025, 0, 31, 12, 5)),
    'porthole-a_b_c-2025-01-31-1205.txt',
  );
  assert.equal(paletteColor(1, { red: '#f07178' }), '#f07178');
  assert.equal(paletteColor(196, {}), '#ff0000');
  assert.equal(paletteColor(16, {}), '#000000');
  assert.equal(paletteColor(232, {}), '#080808');
  assert.equal(paletteColor(255, {}), '#eeeeee');
});
