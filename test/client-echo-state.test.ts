/** Remote echo vs. a password prompt (issue 11): when the input line is masked. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EchoState, PASSWORD_PROMPT_RE } from '../client/echo-state.ts';

test('a host that echoes everything from the start keeps a normal input line', () => {
  const e = new EchoState();
  // The demo, a telnetd shell, a MUSH: WILL ECHO with the banner, before anything is typed.
  assert.equal(e.setHostEcho(true, ''), false);
  assert.equal(e.hostEcho, true, 'so the client must not echo too');
  assert.equal(e.output('Welcome to the Porthole demo host'), false);
  assert.equal(e.output('demo> '), false);
  e.submitted();
  assert.equal(e.output('demo> '), false);
});

test('while the host echoes, a password prompt masks the line, and the next prompt unmasks it', () => {
  const e = new EchoState();
  e.setHostEcho(true, '');
  assert.equal(e.output('$ '), false);
  e.submitted();
  assert.equal(e.output('Password: '), true, 'login(1), sudo, passwd under telnetd');
  e.submitted();
  assert.equal(e.output(''), false);
  assert.equal(e.output('$ '), false);
});

test('a MUD: "Password: " then WILL ECHO masks; WONT ECHO unmasks', () => {
  const e = new EchoState();
  assert.equal(e.output('What is your name? '), false);
  e.submitted();
  assert.equal(e.setHostEcho(true, 'Password: '), true);
  e.submitted();
  assert.equal(e.setHostEcho(false, ''), false);
  assert.equal(e.hostEcho, false);
});

test('echo off right at any prompt after typing masks it, even without the word "password"', () => {
  const e = new EchoState();
  e.submitted();
  assert.equal(e.setHostEcho(true, 'Your secret phrase, please: '), true);
  assert.equal(e.output('Your secret phrase, please: '), true, 'still at that prompt');
  e.submitted();
  assert.equal(e.output('> '), false, 'answered: a host that keeps echoing is not masked');
});

test('reset: a new connection starts unmasked with the client echoing', () => {
  const e = new EchoState();
  e.setHostEcho(true, 'Password:');
  assert.equal(e.masked, true);
  e.reset();
  assert.equal(e.masked, false);
  assert.equal(e.hostEcho, false);
});

test('password prompts in several forms and languages; ordinary lines are not', () => {
  for (const p of ['Password: ', 'password:', 'Passphrase >', 'Enter your PIN:', 'Passwort: ']) {
    assert.ok(PASSWORD_PROMPT_RE.test(p), p);
  }
  for (const p of ['$ ', 'demo> ', 'You see a password scrawled on the wall.', 'login: ']) {
    assert.ok(!PASSWORD_PROMPT_RE.test(p), p);
  }
});
