/** A MUD reboot (the host drops a live session) is a retryable end (issue 11). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackendRetry, type HostEndVerdict, QUIT_RE } from '../client/backend-retry.ts';
import { Backoff } from '../client/backoff.ts';
import { CloseCode } from '../shared/close-codes.ts';

const half = (): number => 0.5;

test('ask: no timer; a close keeps its sentence, a reset of a live session is "lost"', () => {
  const r = new BackendRetry(half);
  r.hostUp(0);
  assert.equal(r.ended(CloseCode.BACKEND_CLOSED, 'ask', 1000), undefined);
  r.hostUp(2000);
  assert.deepEqual(r.ended(CloseCode.BAD_GATEWAY, 'ask', 3000), {
    sentence: 'The connection to the host was lost. It may be restarting.',
    retryInMs: undefined,
    attempt: 0,
    gaveUp: false,
  });
});

test('auto: the user typed quit just before: no reconnect', () => {
  const r = new BackendRetry(half);
  r.hostUp(0);
  assert.equal(r.ended(CloseCode.BACKEND_CLOSED, 'auto', 1000, true), undefined);
  for (const q of ['quit', 'QUIT :bye', 'logout', '@quit']) assert.ok(QUIT_RE.test(q), q);
  for (const q of ['say quit', 'quitter', 'look']) assert.ok(!QUIT_RE.test(q), q);
});

test('not the host’s doing, or the host never came up: nothing to add', () => {
  const r = new BackendRetry(half);
  assert.equal(r.ended(CloseCode.BAD_GATEWAY, 'auto', 0), undefined, 'could not reach it at all');
  r.hostUp(0);
  assert.equal(r.ended(CloseCode.ABNORMAL, 'auto', 10), undefined, 'a network drop');
  r.hostUp(20);
  assert.equal(r.ended(CloseCode.IDLE_TIMEOUT, 'auto', 30), undefined);
});

test('auto: retries while the host is still down, spaced at least 3 s, bounded', () => {
  const r = new BackendRetry(half);
  r.hostUp(0);
  const first = r.ended(CloseCode.BACKEND_CLOSED, 'auto', 60_000);
  assert.equal(first?.attempt, 1);
  assert.ok((first?.retryInMs ?? 0) >= 3000);
  // The reboot takes a while: the next tries fail to dial (1014, never up).
  let last: HostEndVerdict | undefined = first;
  for (let i = 2; i <= Backoff.maxAttempts; i++) {
    last = r.ended(CloseCode.BAD_GATEWAY, 'auto', 60_000 + i);
    assert.equal(last?.attempt, i);
    assert.equal(last?.sentence, 'The host is not back yet.');
    assert.ok((last?.retryInMs ?? 0) >= (first?.retryInMs ?? 0));
  }
  assert.ok((last?.retryInMs ?? 0) <= 30_000);
  const gaveUp = r.ended(CloseCode.BAD_GATEWAY, 'auto', 70_000);
  assert.equal(gaveUp?.retryInMs, undefined);
  assert.equal(gaveUp?.gaveUp, true);
});

test('auto: a reconnect that stays up 10 s starts the count over; a quick drop does not', () => {
  const r = new BackendRetry(half);
  r.hostUp(0);
  r.ended(CloseCode.BACKEND_CLOSED, 'auto', 100);
  r.hostUp(5000);
  assert.equal(r.ended(CloseCode.BACKEND_CLOSED, 'auto', 6000)?.attempt, 2, 'up only 1 s');
  r.hostUp(10_000);
  assert.equal(r.ended(CloseCode.BACKEND_CLOSED, 'auto', 30_000)?.attempt, 1, 'up 20 s');
  r.reset();
  assert.equal(r.ended(CloseCode.BAD_GATEWAY, 'auto', 30_001), undefined, 'the user took over');
});
