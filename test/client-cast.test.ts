/** The replay page's asciicast reader (client/cast.ts): parsing, seeking, sizes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTime, frameAt, parseCast, parseSize } from '../client/cast.ts';

const file = [
  JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1700000000, title: 'T' }),
  JSON.stringify([0.5, 'o', 'hello ']),
  JSON.stringify([1, 'i', 'secret?']),
  JSON.stringify([1.5, 'r', '100x30']),
  JSON.stringify([2, 'o', 'world']),
  '',
].join('\n');

test('parseCast reads header and events; frameAt rebuilds output and size at a time', () => {
  const cast = parseCast(file);
  assert.ok(!(cast instanceof Error));
  assert.equal(cast.header.title, 'T');
  assert.equal(cast.duration, 2);
  assert.deepEqual(frameAt(cast, 0), { text: '', cols: 80, rows: 24, next: 0 });
  assert.deepEqual(frameAt(cast, 1.2), { text: 'hello ', cols: 80, rows: 24, next: 2 });
  // Input events are never drawn; the resize applies from its time on.
  assert.deepEqual(frameAt(cast, 9), { text: 'hello world', cols: 100, rows: 30, next: 4 });
});

test('parseCast names the bad line; sizes and times are checked', () => {
  assert.match(String(parseCast('not json')), /line 1/);
  assert.match(String(parseCast(JSON.stringify({ version: 1, width: 80, height: 24 }))), /v2/);
  assert.match(String(parseCast(`${file}{"x":1}\n`)), /line 6: not an event/);
  assert.deepEqual(parseSize('120x40'), { cols: 120, rows: 40 });
  assert.equal(parseSize('0x40'), undefined);
  assert.equal(parseSize('99999x1'), undefined);
  assert.equal(formatTime(75.4), '1:15');
});
