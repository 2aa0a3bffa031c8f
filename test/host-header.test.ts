/** The Host-header rule (A5) is one function; the start-up warning and the gate both use it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ConfigInput, resolveConfig } from '../server/config/config.ts';
import { createHostRule } from '../server/gateway/host-header.ts';

const HOSTS = [{ id: 'demo', name: 'Demo', target: 'builtin:demo' }];
const config = (input: Partial<ConfigInput>) => resolveConfig({ hosts: HOSTS, ...input });

test('host rule: loopback listeners accept loopback names only', () => {
  const rule = createHostRule(config({}));
  assert.equal(rule.acceptsAny, false);
  assert.equal(rule.allows('127.0.0.1:8080'), true);
  assert.equal(rule.allows('[::1]:8080'), true);
  assert.equal(rule.allows('localhost'), true);
  assert.equal(rule.allows('rebind.attacker.test:8080'), false);
  assert.equal(rule.allows(undefined), false);
});

test('host rule: publicUrl and allowedHosts name the server', () => {
  const rule = createHostRule(
    config({
      listen: { host: '0.0.0.0', port: 8080, allowPlaintext: true },
      publicUrl: 'https://play.example.org',
      allowedHosts: ['Alt.Example.org'],
    }),
  );
  assert.equal(rule.acceptsAny, false);
  assert.equal(rule.allows('play.example.org'), true);
  assert.equal(rule.allows('alt.example.org:443'), true);
  assert.equal(rule.allows('127.0.0.1:8080'), false);
});

test('host rule: a public listener naming nothing accepts any Host, and says so (the start-up warning)', () => {
  const plain = createHostRule(
    config({ listen: { host: '0.0.0.0', port: 8080, allowPlaintext: true } }),
  );
  assert.equal(plain.acceptsAny, true);
  assert.equal(plain.allows('anything.example'), true);
});

test('H7: a Host with userinfo, a path or a non-numeric port is refused, whatever comes first', () => {
  const loopback = createHostRule(config({}));
  const open = createHostRule(
    config({ listen: { host: '0.0.0.0', port: 8080, allowPlaintext: true } }),
  );
  for (const bad of [
    '127.0.0.1:1@evil',
    '127.0.0.1@evil',
    'evil@127.0.0.1',
    '127.0.0.1:80/x',
    '127.0.0.1:8080:80',
    '127.0.0.1:',
    '[::1]x',
    '[::1]:80@evil',
    '127.0.0.1 ',
    '',
  ]) {
    assert.equal(loopback.allows(bad), false, bad);
    assert.equal(open.allows(bad), false, `${bad} (public listener)`);
  }
  assert.equal(loopback.allows('127.0.0.1:1'), true);
  assert.equal(open.allows('play.example.org:8443'), true);
});
