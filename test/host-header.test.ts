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
