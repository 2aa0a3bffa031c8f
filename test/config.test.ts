import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ConfigError,
  DEFAULT_CONFIG_INPUT,
  loadConfigFile,
  resolveConfig,
} from '../server/config/config.ts';
import { parseTarget } from '../server/config/target-url.ts';

const host = { id: 'mud', name: 'A MUD', target: 'telnet://mud.example.org:4000' };

function errorOf(input: unknown): string {
  try {
    resolveConfig(input);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

test('the embedded default listens on loopback:8080 with the demo host', () => {
  const c = resolveConfig(DEFAULT_CONFIG_INPUT);
  assert.equal(c.listen.host, '127.0.0.1');
  assert.equal(c.listen.port, 8080);
  assert.equal(c.hosts[0]?.target, 'builtin:demo');
  assert.equal(c.limits.highWaterBytes, 512 * 1024);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.limits) && Object.isFrozen(c.hosts[0]));
});

test('errors name the key path and what is wrong', () => {
  assert.match(
    errorOf({ hosts: [{ ...host, target: 'gopher://x:70' }] }),
    /hosts\[0\]\.target: must be telnet:\/\/HOST:PORT, telnets:\/\//,
  );
  assert.match(errorOf({ hosts: [{ ...host, target: 'tcp://x:70000' }] }), /hosts\[0\]\.target/);
  assert.match(errorOf({ hosts: [host, { ...host }] }), /hosts\[1\]\.id: duplicate id "mud"/);
  assert.match(errorOf({ hosts: [] }), /hosts: must list at least one host/);
  assert.match(errorOf({ hosts: [host], listen: { port: 'http' } }), /listen\.port/);
  assert.match(
    errorOf({ hosts: [host], limits: { connectTimeout: '5 parsecs' } }),
    /limits\.connectTimeout: "5 parsecs" is not a duration/,
  );
  assert.match(
    errorOf({ hosts: [host], limits: { lowWaterBytes: '1MiB' } }),
    /limits\.lowWaterBytes: must be below/,
  );
  assert.match(errorOf({ hosts: [host], bogus: 1 }), /bogus|Unrecognized key/);
  assert.match(errorOf({ hosts: [{ ...host, id: '__proto__' }] }), /hosts\[0\]\.id/);
  assert.match(errorOf({ hosts: [{ ...host, newline: 'crcr' }] }), /hosts\[0\]\.newline/);
  assert.match(
    errorOf({ hosts: [host], origins: ['https://ok.example', 'play.example.org/'] }),
    /origins\[1\]: must be an exact origin/,
  );
  assert.match(
    errorOf({ hosts: [{ ...host, encoding: 'klingon' }] }),
    /hosts\[0\]\.encoding: is not a character set/,
  );
});

test('durations and sizes accept units', () => {
  const c = resolveConfig({
    hosts: [{ ...host, idleTimeout: '15m' }],
    limits: { connectTimeout: '1.5s', idleTimeout: 0, highWaterBytes: '1MiB', lowWaterBytes: 1000 },
  });
  assert.equal(c.limits.connectTimeout, 1500);
  assert.equal(c.limits.highWaterBytes, 1024 * 1024);
  assert.equal(c.hosts[0]?.idleTimeout, 15 * 60_000);
  assert.equal(c.hosts[0]?.encoding, 'utf-8');
  assert.equal(c.hosts[0]?.newline, 'auto');
});

test('config files: YAML and JSON load; bad files name the file and the key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-config-'));
  const yaml = join(dir, 'a.yaml');
  writeFileSync(
    yaml,
    'listen: { port: 9000 }\nhosts:\n  - id: bbs\n    name: BBS\n    target: telnet://[::1]:2323\n    encoding: cp437\n',
  );
  const c = loadConfigFile(yaml);
  assert.equal(c.listen.port, 9000);
  assert.equal(c.hosts[0]?.encoding, 'cp437');
  const json = join(dir, 'b.json');
  writeFileSync(json, JSON.stringify({ hosts: [host] }));
  assert.equal(loadConfigFile(json).hosts[0]?.id, 'mud');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'hosts:\n  - id: x\n    name: X\n    target: tcp://h:1\n    newline: weird\n');
  assert.throws(
    () => loadConfigFile(bad),
    (err: Error) => err.message.includes(bad) && err.message.includes('hosts[0].newline'),
  );
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'hosts: [\n');
  assert.throws(() => loadConfigFile(broken), /not valid YAML/);
  assert.throws(() => loadConfigFile(join(dir, 'missing.yaml')), /cannot read config file/);
});

test('targets parse into kind, host and port (IPv6 in brackets)', () => {
  assert.deepEqual(parseTarget('telnet://[::1]:23'), { kind: 'telnet', host: '::1', port: 23 });
  assert.deepEqual(parseTarget('tcp://irc.example.org:6667'), {
    kind: 'tcp',
    host: 'irc.example.org',
    port: 6667,
  });
  assert.deepEqual(parseTarget('builtin:demo'), { kind: 'builtin', host: 'demo', port: 0 });
});

test('B3: odd IP spellings in configured targets are canonicalised; a numeric non-address is refused', () => {
  const c = resolveConfig({
    hosts: [
      { id: 'a', name: 'A', target: 'tcp://0x7f.1:23' },
      { id: 'b', name: 'B', target: 'tcp://2130706433:23' },
      { id: 'c', name: 'C', target: 'telnet://[::ffff:7f00:1]:23' },
    ],
  });
  for (const h of c.hosts) assert.equal(parseTarget(h.target).host, '127.0.0.1', h.target);
  assert.match(
    errorOf({ hosts: [{ ...host, target: 'tcp://1.2.3.4.5:23' }] }),
    /hosts\[0\]\.target/,
  );
  assert.match(
    errorOf({ hosts: [{ ...host, target: 'tcp://example.999:23' }] }),
    /hosts\[0\]\.target/,
  );
});

test('instanceId: a lower-case name a proxy can match; anything else names the key', () => {
  assert.equal(resolveConfig({ hosts: [host], instanceId: 'eu-1' }).instanceId, 'eu-1');
  assert.equal(resolveConfig({ hosts: [host] }).instanceId, undefined);
  // A digit first would read as a worker id in a token; a dot would split it.
  for (const bad of ['1a', 'a.b', 'A', '', 'x'.repeat(33)])
    assert.match(errorOf({ hosts: [host], instanceId: bad }), /instanceId.*lower-case letter/);
});
