/** The host keys of issue 15 are checked at load, each error naming its key. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, resolveConfig } from '../server/config/config.ts';
import { parseTarget } from '../server/config/target-url.ts';
import { makeCert } from './helpers/tls-cert.ts';

const dir = mkdtempSync(join(tmpdir(), 'porthole-backend-config-'));

function errorOf(host: Record<string, unknown>): string {
  try {
    resolveConfig({ hosts: [{ id: 'h', name: 'H', ...host }] });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

test('telnets:// and tls:// targets parse; their tls keys are checked', () => {
  assert.deepEqual(parseTarget('telnets://mud.example.org:6697'), {
    kind: 'telnets',
    host: 'mud.example.org',
    port: 6697,
  });
  assert.equal(parseTarget('tls://[::1]:6697').kind, 'tls');
  const cert = makeCert(dir, 'ok');
  const notPem = join(dir, 'not-pem.txt');
  writeFileSync(notPem, 'hello');
  const tls = 'tls://irc.example.org:6697';
  const c = resolveConfig({
    hosts: [
      {
        id: 'h',
        name: 'H',
        target: tls,
        tls: { ca: cert.cert, fingerprint256: cert.fingerprint.replaceAll(':', '').toLowerCase() },
      },
    ],
  });
  assert.equal(c.hosts[0]?.tls?.fingerprint256, cert.fingerprint, 'pins are normalised');
  assert.equal(c.hosts[0]?.tls?.insecure, false);
  assert.match(
    errorOf({ target: tls, tls: { ca: join(dir, 'missing.pem') } }),
    /hosts\[0\]\.tls\.ca: must be a readable file/,
  );
  assert.match(
    errorOf({ target: tls, tls: { ca: notPem } }),
    /hosts\[0\]\.tls\.ca: must be a readable file holding a PEM/,
  );
  assert.match(
    errorOf({ target: tls, tls: { fingerprint256: 'AB:CD' } }),
    /hosts\[0\]\.tls\.fingerprint256: must be a SHA-256/,
  );
  assert.match(errorOf({ target: tls, tls: { servername: 'a b' } }), /hosts\[0\]\.tls\.servername/);
  assert.match(errorOf({ target: tls, tls: { insecure: 'yes' } }), /hosts\[0\]\.tls\.insecure/);
  assert.match(errorOf({ target: tls, tls: { verify: false } }), /hosts\[0\]\.tls/);
  assert.match(
    errorOf({ target: 'telnet://x:23', tls: {} }),
    /hosts\[0\]\.tls: needs a telnets:\/\/ or tls:\/\/ target/,
  );
});

test('proxyProtocol, webirc and mnes are checked against the target', () => {
  assert.match(errorOf({ target: 'tcp://x:1', proxyProtocol: 'v3' }), /hosts\[0\]\.proxyProtocol/);
  assert.match(
    errorOf({ target: 'builtin:demo', proxyProtocol: 'v1' }),
    /hosts\[0\]\.proxyProtocol: is not for builtin/,
  );
  assert.match(
    errorOf({ target: 'telnet://x:23', webirc: { password: 'pw' } }),
    /hosts\[0\]\.webirc: needs a tcp:\/\/ or tls:\/\//,
  );
  assert.match(
    errorOf({ target: 'tcp://x:6667', webirc: { password: 'two words' } }),
    /hosts\[0\]\.webirc\.password: must be one IRC word/,
  );
  assert.match(
    errorOf({ target: 'tcp://x:6667', webirc: { password: ':pw' } }),
    /hosts\[0\]\.webirc\.password/,
  );
  assert.match(
    errorOf({ target: 'tcp://x:6667', webirc: { password: 'pw', gateway: 'a\r\nQUIT' } }),
    /hosts\[0\]\.webirc\.gateway/,
  );
  assert.match(
    errorOf({ target: 'tcp://x:6667', mnes: true }),
    /hosts\[0\]\.mnes: needs a telnet:\/\/ or telnets:\/\//,
  );
  const c = resolveConfig({
    hosts: [
      {
        id: 'h',
        name: 'H',
        target: 'tls://x:6697',
        proxyProtocol: 'v2',
        webirc: { password: 'pw' },
      },
    ],
  });
  assert.equal(c.hosts[0]?.webirc?.gateway, 'porthole');
  assert.equal(c.hosts[0]?.mnes, false);
});

test('ssh:// hosts: a host key source is required; keys and files are checked at load', () => {
  const key = execFileSync('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-f',
    join(dir, 'id'),
    '-C',
    't',
  ]);
  assert.equal(key.length, 0);
  const pub = readFileSync(join(dir, 'id.pub'), 'utf8').trim();
  const ssh = 'ssh://shell.example.org:22';
  assert.match(
    errorOf({ target: ssh }),
    /hosts\[0\]\.hostKey: an ssh:\/\/ host needs hostKey .* or knownHostsFile/,
  );
  assert.match(
    errorOf({ target: ssh, hostKey: 'ssh-ed25519 not-base64!' }),
    /hosts\[0\]\.hostKey\[0\]: must be a known_hosts line/,
  );
  assert.match(errorOf({ target: ssh, hostKey: 'SHA256:short' }), /hosts\[0\]\.hostKey/);
  assert.match(errorOf({ target: ssh, hostKey: `@revoked * ${pub}` }), /hosts\[0\]\.hostKey\[0\]/);
  assert.match(
    errorOf({ target: ssh, knownHostsFile: '/no/such/dir/known_hosts' }),
    /hosts\[0\]\.knownHostsFile: must be a file in an existing directory/,
  );
  assert.match(
    errorOf({ target: ssh, hostKey: pub, privateKeyFile: join(dir, 'id.pub') }),
    /hosts\[0\]\.privateKeyFile: is not an unencrypted private key/,
  );
  assert.match(
    errorOf({ target: ssh, hostKey: pub, privateKeyFile: join(dir, 'missing') }),
    /hosts\[0\]\.privateKeyFile: must be a readable/,
  );
  assert.match(
    errorOf({ target: ssh, hostKey: pub, user: '$auth' }),
    /hosts\[0\]\.user: \$auth needs auth\.mode/,
  );
  assert.match(errorOf({ target: ssh, hostKey: pub, user: 'a b' }), /hosts\[0\]\.user/);
  assert.match(
    errorOf({ target: ssh, hostKey: pub, record: true, recordInput: true }),
    /hosts\[0\]\.recordInput: is not for ssh:\/\/ hosts/,
  );
  assert.match(
    errorOf({ target: 'telnet://x:23', hostKey: pub }),
    /hosts\[0\]\.hostKey: needs an ssh:\/\/ target/,
  );
  assert.match(
    errorOf({ target: ssh, hostKey: pub, proxyProtocol: 'v1' }),
    /hosts\[0\]\.proxyProtocol: is not for ssh/,
  );
  const c = resolveConfig({
    hosts: [
      {
        id: 'a',
        name: 'A',
        target: ssh,
        hostKey: `[shell.example.org]:22 ${pub}`,
        privateKeyFile: join(dir, 'id'),
      },
      { id: 'b', name: 'B', target: ssh, knownHostsFile: join(dir, 'known_hosts') },
    ],
  });
  const pin = c.hosts[0]?.hostKey?.[0];
  assert.equal(pin?.kind, 'key');
  assert.match(String(pin?.fingerprint), /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.equal(parseTarget(ssh).kind, 'ssh');
});
