/** Multi-line paste in line mode (issue 11): one command per line, paced, stoppable. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PasteLimits, PasteQueue, pasteLines } from '../client/paste-queue.ts';

function harness(sendOk: (line: string) => boolean = () => true) {
  const sent: string[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const progress: string[] = [];
  const queue = new PasteQueue({
    send: (line) => {
      if (!sendOk(line)) return false;
      sent.push(line);
      return true;
    },
    progress: (s, t, done) => progress.push(`${s}/${t}${done ? ' done' : ''}`),
    schedule: (fn, ms) => {
      const timer = { fn, ms };
      timers.push(timer);
      return () => timers.splice(timers.indexOf(timer), 1);
    },
  });
  const tick = (): void => timers.shift()?.fn();
  return { queue, sent, timers, progress, tick };
}

test('pasteLines: CR LF, CR and LF split; one trailing line end adds no blank command', () => {
  assert.deepEqual(pasteLines('a\r\nb\rc\nd'), ['a', 'b', 'c', 'd']);
  assert.deepEqual(pasteLines('look\n'), ['look']);
  assert.deepEqual(pasteLines('a\n\nb\n'), ['a', '', 'b']);
  assert.deepEqual(pasteLines('one'), ['one']);
});

test('one line goes at once, the rest one per interval, never two in the same tick', () => {
  const h = harness();
  h.queue.start(['n', 'e', 's']);
  assert.deepEqual(h.sent, ['n']);
  assert.equal(h.timers.length, 1);
  assert.equal(h.timers[0]?.ms, PasteLimits.intervalMs);
  h.tick();
  assert.deepEqual(h.sent, ['n', 'e']);
  h.tick();
  assert.deepEqual(h.sent, ['n', 'e', 's']);
  assert.equal(h.timers.length, 0);
  assert.equal(h.queue.busy, false);
  assert.deepEqual(h.progress, ['1/3', '2/3', '3/3 done']);
});

test('stop drops what is left and says how far it got', () => {
  const h = harness();
  h.queue.start(['a', 'b', 'c', 'd']);
  h.tick();
  h.queue.stop();
  assert.deepEqual(h.sent, ['a', 'b']);
  assert.equal(h.timers.length, 0);
  assert.equal(h.progress.at(-1), '2/4 done');
});

test('a session that goes down stops the paste; nothing is retried into a new session', () => {
  let up = true;
  const h = harness(() => up);
  h.queue.start(['a', 'b', 'c']);
  up = false;
  h.tick();
  assert.deepEqual(h.sent, ['a']);
  assert.equal(h.queue.busy, false);
  assert.equal(h.timers.length, 0);
});

test('a second paste while one is running queues after it, bounded', () => {
  const h = harness();
  h.queue.start(['a', 'b']);
  h.queue.start(['c']);
  while (h.timers.length > 0) h.tick();
  assert.deepEqual(h.sent, ['a', 'b', 'c']);
  h.queue.start(Array.from({ length: PasteLimits.maxLines + 50 }, (_, i) => `x${i}`));
  while (h.timers.length > 0) h.tick();
  assert.equal(h.sent.length, 3 + PasteLimits.maxLines);
});
