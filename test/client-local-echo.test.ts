/** Local echo in raw mode (issue 11): what is shown for the keys sent. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localEchoText } from '../client/local-echo.ts';

test('printable keys as typed, Enter as a new line, Backspace rubs out', () => {
  assert.equal(localEchoText('look'), 'look');
  assert.equal(localEchoText('\r'), '\r\n');
  assert.equal(localEchoText('\x7f'), '\b \b');
  assert.equal(localEchoText('Grüße ✓\t'), 'Grüße ✓\t');
});

test('a paste keeps its line breaks: CR LF, CR or LF each make one new line', () => {
  assert.equal(localEchoText('a\r\nb\rc\nd'), 'a\r\nb\r\nc\r\nd');
  assert.equal(localEchoText('a\n\nb'), 'a\r\n\r\nb');
});

test('arrows, function keys, Alt+key and other controls show nothing', () => {
  assert.equal(localEchoText('\x1b[A\x1b[1;5C\x1bOP\x1b[15~\x1bx'), '');
  assert.equal(localEchoText('\x03\x04\x1a\x00'), '');
});
