/** Passwords stay out of line-mode history (issue 11): MUSH/MOO logins, @password, host patterns. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileNoHistory, LineHistory } from '../client/line-history.ts';
import { resolveConfig } from '../server/config/config.ts';

test('MUSH and MOO logins and password changes are never stored; ordinary commands are', () => {
  const h = new LineHistory();
  for (const line of [
    'connect Gandalf mellon',
    'CONNECT gandalf mellon',
    'connect "Gandalf the Grey" mellon',
    'co Gandalf mellon',
    'create Frodo ring',
    'cr Frodo ring',
    '@password mellon=friend',
    '@newpassword Frodo=ring',
  ]) {
    h.add(line);
  }
  assert.deepEqual(h.lines, []);
  for (const line of ['look', 'connections', 'say connect me with him', 'create']) h.add(line);
  assert.deepEqual(h.lines, ['look', 'connections', 'say connect me with him', 'create']);
});

test('history stored before this rule is cleaned when it is loaded', () => {
  const h = new LineHistory(['look', 'connect Gandalf mellon', 'north']);
  assert.deepEqual(h.lines, ['look', 'north']);
});

test("a host's own patterns add to the built-in ones and clean what is stored", () => {
  const h = new LineHistory(['look', 'login frodo ring', 'north']);
  h.setExtraExclusions(compileNoHistory(['^login\\s', '(unclosed', 42]));
  assert.deepEqual(h.lines, ['look', 'north'], 'the bad pattern and the number are skipped');
  h.add('LOGIN sam potatoes');
  h.add('connect Sam potatoes');
  h.add('inventory');
  assert.deepEqual(h.lines, ['look', 'north', 'inventory']);
});

test('config: noHistory must be valid regular expressions, named by key path', () => {
  const host = { id: 'm', name: 'M', target: 'telnet://127.0.0.1:4000' };
  const ok = resolveConfig({ hosts: [{ ...host, noHistory: ['^login\\s'], reconnect: 'auto' }] });
  assert.deepEqual(ok.hosts[0]?.noHistory, ['^login\\s']);
  assert.equal(ok.hosts[0]?.reconnect, 'auto');
  assert.throws(
    () => resolveConfig({ hosts: [{ ...host, noHistory: ['(unclosed'] }] }),
    /hosts\[0\]\.noHistory\[0\]: must be a valid regular expression/,
  );
  assert.throws(() => resolveConfig({ hosts: [{ ...host, reconnect: 'sometimes' }] }), /reconnect/);
});
