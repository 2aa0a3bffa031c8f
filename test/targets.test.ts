import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { classify } from '../server/common/address.ts';
import { customTargetsSchema } from '../server/config/custom-targets-schema.ts';
import { chooseTarget } from '../server/targets/choose.ts';
import { globMatch, TargetError, TargetPolicy } from '../server/targets/custom.ts';
import {
  accepted,
  never,
  options,
  PUBLIC_V4,
  PUBLIC_V6,
  policy,
  refused,
  scripted,
  TEST_PORTS,
  ZOO_TARGETS,
} from './helpers/targets.ts';

test('B1: with customTargets off (the default) every target is refused with 400', () => {
  const config = customTargetsSchema.parse(undefined);
  assert.equal(config.enabled, false);
  const err = refused(new TargetPolicy(config), 'mud.example.com:4000');
  assert.equal(err.code, 'disabled');
  assert.equal(err.status, 400);
});

test('config: defaults, port ranges, canonical allowAddresses, errors that name the entry', () => {
  const c = customTargetsSchema.parse({
    ports: [23, '5000-5001'],
    allowAddresses: ['0x7f.1', 'FD00::/8'],
  });
  assert.deepEqual(c.ports, [
    [23, 23],
    [5000, 5001],
  ]);
  assert.deepEqual(c.allowAddresses, [
    { address: '127.0.0.1', family: 4, prefix: 32 },
    { address: 'fd00::', family: 6, prefix: 8 },
  ]);
  const d = customTargetsSchema.parse({});
  assert.deepEqual(d.ports, [], 'no default ports: nothing is reachable until listed');
  assert.deepEqual(d.allowHosts, ['*']);
  for (const [input, path] of [
    [{ ports: ['9-1'] }, 'ports.0'],
    [{ ports: [0] }, 'ports.0'],
    [{ ports: [] }, 'ports'],
    [{ allowAddresses: ['10.0.0.0/33'] }, 'allowAddresses.0'],
    [{ allowHosts: ['mud example'] }, 'allowHosts.0'],
    [{ hosts: [] }, ''],
    [{ enabled: true }, 'ports'],
  ] as const) {
    const r = customTargetsSchema.safeParse(input);
    assert.equal(r.success, false, JSON.stringify(input));
    assert.equal(r.error?.issues[0]?.path.join('.'), path, JSON.stringify(input));
  }
});

test('port allowlist: only configured ports and ranges are accepted (403 otherwise)', () => {
  const p = policy();
  for (const port of [23, 2323, 4000, 6666, 9999]) accepted(p, `mud.example.com:${port}`);
  for (const port of [22, 25, 80, 443, 3999, 10000, 65535]) {
    const err = refused(p, `mud.example.com:${port}`);
    assert.equal(err.code, 'port');
    assert.equal(err.status, 403);
  }
  for (const raw of ['mud.example.com:0', 'mud.example.com:023', 'mud.example.com:65536'])
    assert.equal(refused(p, raw).code, 'syntax', raw);
  assert.equal(refused(policy({ ports: [7777] }), 'mud.example.com:4000').code, 'port');
});

test('B2: target-ID and host-name injection strings are refused without throwing', () => {
  const p = policy();
  const hostile: unknown[] = [
    '__proto__',
    '__proto__:23',
    'constructor:23',
    'toString:23',
    'prototype:23',
    '../x:23',
    'a'.repeat(10 * 1024),
    `${'a.'.repeat(200)}com:23`,
    'user@mud.example.com:23',
    'user:pw@mud.example.com:23',
    'mud.example.com:23/path',
    'telnet://mud.example.com:23',
    'mud.example.com:23?x=1',
    'mud.example.com:23#x',
    'mud.example.com:23\r\nHost: x',
    'mud.example.com: 23',
    'mud.example.com:+23',
    'mud.example.com:0x17',
    'mud.example.com:23:23',
    'mud.example.com',
    ':23',
    '',
    '[::1%lo]:23',
    '[fe80::1%25eth0]:23',
    '::1:23',
    '[::1]23',
    'mud_x.example.com:23',
    '-mud.example.com:23',
    'mud-.example.com:23',
    'a..b.com:23',
    `${'a'.repeat(64)}.com:23`,
    'mud.example.123:23',
    '1.2.3.4.5:23',
    '08.0.0.1:23',
    '0x:23',
    undefined,
    null,
    23,
    ['mud.example.com:23'],
    { toString: () => 'mud.example.com:23' },
  ];
  for (const raw of hostile) {
    const t = p.parse(raw);
    assert.ok(t instanceof TargetError, `accepted ${String(raw).slice(0, 60)}`);
    assert.ok(t.status === 400 || t.status === 403);
  }
});

test('IDN: punycode names pass as written; Unicode look-alikes and full-width forms do not', () => {
  const p = policy();
  assert.equal(accepted(p, 'xn--mnchen-3ya.de:4000').host, 'xn--mnchen-3ya.de');
  assert.equal(accepted(p, 'MUD.Example.COM.:4000').host, 'mud.example.com');
  for (const raw of [
    'münchen.de:4000',
    'mud.exаmple.com:4000',
    '１２７.０.０.１:23',
    '127。0。0。1:23',
    'mud.example.com：23',
    'mud.example.com:２３',
    'mud\u200b.example.com:23',
  ])
    assert.equal(refused(p, raw).code, 'syntax', raw);
});

test('host names: one label, special-use names and resolv.conf search tricks are refused', () => {
  const p = policy();
  for (const raw of ['localhost:23', 'mud:23', 'redis:6379'])
    assert.equal(refused(p, raw).code === 'syntax' || refused(p, raw).code === 'port', true, raw);
  for (const raw of [
    'mud.localhost:23',
    'printer.local:23',
    'metadata.google.internal:23',
    'nas.home.arpa:23',
    'x.onion:23',
    'a.invalid:23',
    'mud.test:23',
  ])
    assert.equal(refused(p, raw).code, 'host', raw);
});

test('host patterns: denyHosts wins, allowHosts is anchored, literals match canonically', () => {
  const p = policy({
    allowHosts: ['*.muds.example.net', 'Mud.Example.ORG', '93.184.*'],
    denyHosts: ['bad.*'],
  });
  accepted(p, 'a.muds.example.net:4000');
  accepted(p, 'a.b.muds.example.net:4000');
  accepted(p, 'mud.example.org:4000');
  accepted(p, '0x5db8d70e:4000'); // 93.184.215.14
  for (const raw of [
    'muds.example.net:4000',
    'bad.muds.example.net:4000',
    'mud.example.org.evil.com:4000',
    'xmud.example.org:4000',
    '8.8.8.8:4000',
  ])
    assert.equal(refused(p, raw).code, 'host', raw);
  assert.equal(refused(policy({ allowIpLiterals: false }), `${PUBLIC_V4}:23`).code, 'host');
  const started = performance.now();
  assert.equal(globMatch(`${'*a'.repeat(40)}*b`, 'a'.repeat(253)), false);
  assert.ok(performance.now() - started < 100, 'glob matching is linear, not backtracking');
});

test('B3: the literal zoo is refused (403) before any DNS or dial under the default policy', async () => {
  const p = policy();
  for (const host of ZOO_TARGETS) {
    const err = refused(p, `${host}:23`);
    assert.equal(err.code, 'address', host);
    assert.equal(err.status, 403);
  }
  // A hand-built target (skipping parse) is still checked by resolve().
  const literal = classify('0x7f.1');
  await assert.rejects(
    p.resolve({ host: '127.0.0.1', port: 23, literal }, options(never)),
    TargetError,
  );
});

test('B2 (property): parse never throws, and what it accepts is plain ASCII host:port', () => {
  const p = policy({ ports: ['1-65535'] });
  const near = fc
    .tuple(fc.stringMatching(/^[a-zA-Z0-9.:[\]%_-]{1,30}$/), fc.integer({ min: -1, max: 70000 }))
    .map(([h, port]) => `${h}:${port}`);
  fc.assert(
    fc.property(
      fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 }), near),
      (raw) => {
        const t = p.parse(raw);
        if (t instanceof TargetError) return;
        assert.match(t.host, /^[a-z0-9.:-]+$/);
        assert.ok(Number.isInteger(t.port) && t.port >= 1 && t.port <= 65535);
        assert.ok(t.literal === undefined || t.literal.kind === 'public');
        const again = p.parse(
          t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`,
        );
        assert.deepEqual(again instanceof TargetError ? again.message : again.host, t.host);
      },
    ),
    { numRuns: 5000 },
  );
});

test('B1: chooseTarget refuses any target/port/hostname parameter with 400 while the feature is off', () => {
  const off = customTargetsSchema.parse({});
  assert.deepEqual(chooseTarget(off, new URLSearchParams('host=lab')), { kind: 'catalogue' });
  for (const q of [
    'host=127.0.0.1&port=22',
    'target=10.0.0.1:23',
    'host=lab&port=22',
    'hostname=x',
  ]) {
    const choice = chooseTarget(off, new URLSearchParams(q));
    assert.equal(choice.kind, 'refused', q);
    assert.equal(choice.kind === 'refused' && choice.error.status, 400, q);
  }
});

test('chooseTarget: one target and nothing beside it; the entry is named by the pinned form', () => {
  const on = customTargetsSchema.parse({
    enabled: true,
    ports: TEST_PORTS,
    protocol: 'tcp',
    encoding: 'cp437',
  });
  for (const q of [
    'target=a.example.com:23&target=b.example.com:23',
    'target=a.example.com:23&host=lab',
    'target=a.example.com:23&port=23',
  ])
    assert.equal(chooseTarget(on, new URLSearchParams(q)).kind, 'refused', q);
  const choice = chooseTarget(
    on,
    new URLSearchParams(`target=${encodeURIComponent('[2606:4700::1]:23')}`),
  );
  assert.equal(choice.kind, 'custom');
  if (choice.kind !== 'custom') return;
  assert.equal(choice.entry.config.id, 'custom');
  assert.equal(choice.entry.config.name, '[2606:4700::1]:23');
  assert.equal(choice.entry.config.encoding, 'cp437');
  assert.equal(choice.entry.protocol, 'tcp');
  assert.deepEqual(choice.entry.target, { kind: 'tcp', host: '2606:4700::1', port: 23 });
});

test('B1: well-known service ports inside the allowed range are refused by default (denyPorts)', () => {
  const policy = new TargetPolicy(customTargetsSchema.parse({ enabled: true, ports: TEST_PORTS }));
  for (const port of [5432, 6379, 8080, 9200]) {
    const r = policy.parse(`mud.example.org:${port}`);
    assert.ok(r instanceof TargetError && r.code === 'port', String(port));
  }
  assert.ok(!(policy.parse('mud.example.org:6789') instanceof TargetError));
  const open = new TargetPolicy(
    customTargetsSchema.parse({ enabled: true, ports: TEST_PORTS, denyPorts: [] }),
  );
  assert.ok(!(open.parse('mud.example.org:6379') instanceof TargetError));
});

test("H11: this machine's own addresses are refused like internal ones, even when public; allowAddresses still wins", async () => {
  const own = policy({}, () => [PUBLIC_V4, PUBLIC_V6]);
  assert.equal(refused(own, `${PUBLIC_V4}:4000`).code, 'address');
  assert.equal(refused(own, `[${PUBLIC_V6}]:4000`).code, 'address');
  // By name: the resolved answer is checked too.
  await assert.rejects(
    own.resolve(accepted(own, 'mud.example.com:4000'), options(scripted([PUBLIC_V4]))),
    (err: unknown) => err instanceof TargetError && err.code === 'address',
  );
  accepted(
    policy({}, () => []),
    `${PUBLIC_V4}:4000`,
  );
  accepted(
    policy({ allowAddresses: [PUBLIC_V4] }, () => [PUBLIC_V4]),
    `${PUBLIC_V4}:4000`,
  );
  // The real interface list is consulted by default: loopback is among them.
  const real = new TargetPolicy(
    customTargetsSchema.parse({ enabled: true, ports: [4000], allowAddresses: [] }),
  );
  assert.equal(refused(real, '127.0.0.1:4000').code, 'address');
});
