import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { classify } from '../server/common/address.ts';
import { dialPinned, type LookupFn, TargetError } from '../server/targets/custom.ts';
import { BackendError, type DialOptions, dial } from '../server/targets/dial.ts';
import { responderLookup, startDnsResponder } from './helpers/dns-responder.ts';
import { waitFor } from './helpers/proxy.ts';
import {
  accepted,
  dialOptions,
  fakeDial,
  listener,
  never,
  options,
  PUBLIC_V4,
  PUBLIC_V6,
  policy,
  refused,
  scripted,
  ZOO_TARGETS,
} from './helpers/targets.ts';

test('B3: an allowAddresses entry admits exactly that address, in any spelling', async (t) => {
  const backend = await listener(t, '127.0.0.1');
  const p = policy({ ports: [backend.port], allowAddresses: ['127.0.0.1'] });
  const loopbacks = [
    '2130706433',
    '0177.0.0.1',
    '017700000001',
    '0x7f000001',
    '0x7f.1',
    '127.1',
    '[::ffff:7f00:1]',
  ];
  for (const host of loopbacks) {
    const pinned = await p.resolve(accepted(p, `${host}:${backend.port}`), options(never));
    assert.equal(pinned.address, '127.0.0.1');
    const socket = await dialPinned(pinned, {
      ...dialOptions,
      signal: new AbortController().signal,
    });
    socket.destroy();
  }
  await waitFor(() => backend.sockets.length === loopbacks.length, 'one connection per address');
  for (const host of ZOO_TARGETS.filter(
    (h) => classify(h.replace(/\.$/, ''))?.canonical !== '127.0.0.1',
  ))
    assert.equal(refused(p, `${host}:${backend.port}`).code, 'address', host);
  assert.equal(refused(p, `127.0.0.2:${backend.port}`).code, 'address');
  assert.equal(backend.sockets.length, loopbacks.length);
});

test('B4: the name is resolved once and the checked answer is exactly what is dialled', async () => {
  const p = policy();
  const lookup = scripted([PUBLIC_V4], ['127.0.0.1']);
  const target = accepted(p, 'rebind.mud.example.com:4000');
  const pinned = await p.resolve(target, options(lookup));
  assert.deepEqual(lookup.calls, ['rebind.mud.example.com.']); // absolute: no search domains
  assert.equal(pinned.address, PUBLIC_V4);
  const fake = fakeDial();
  await assert.rejects(
    dialPinned(pinned, { ...dialOptions, signal: new AbortController().signal, dial: fake.dial }),
  );
  assert.deepEqual(fake.hosts, [PUBLIC_V4]);
  assert.equal(lookup.calls.length, 1, 'dialling did not resolve again');
  // The next connection re-resolves, sees loopback and is refused.
  await assert.rejects(p.resolve(target, options(lookup)), {
    name: 'TargetError',
    code: 'address',
  });
});

test('B4: an answer set mixing public and internal addresses is refused whole', async () => {
  const p = policy();
  const target = accepted(p, 'mixed.mud.example.com:4000');
  for (const answers of [
    [PUBLIC_V4, '127.0.0.1'],
    ['10.0.0.1', PUBLIC_V4],
    [PUBLIC_V6, 'fe80::1%eth0'],
    [PUBLIC_V4, '::ffff:169.254.169.254'],
    [PUBLIC_V6, '64:ff9b::7f00:1'],
  ])
    await assert.rejects(
      p.resolve(target, options(scripted(answers))),
      { code: 'address' },
      answers.join(),
    );
  const both = await p.resolve(target, options(scripted([PUBLIC_V6, PUBLIC_V4])));
  assert.equal(both.address, PUBLIC_V6);
});

test('B4: rebinding through a loopback DNS responder: only the checked address connects', async (t) => {
  const good = await listener(t, '127.0.0.1');
  const checked = await listener(t, '127.0.0.2', good.port);
  const dns = await startDnsResponder((_name, type, index) =>
    type === 'A' ? [index === 0 ? '127.0.0.2' : '127.0.0.1'] : [],
  );
  t.after(() => dns.close());
  const p = policy({ ports: [good.port], allowAddresses: ['127.0.0.2'] });
  const target = accepted(p, `rebind.mud.example.com:${good.port}`);
  const lookup = responderLookup(dns.port);
  const pinned = await p.resolve(target, options(lookup));
  const socket = await dialPinned(pinned, { ...dialOptions, signal: new AbortController().signal });
  t.after(() => socket.destroy());
  assert.equal(socket.remoteAddress, '127.0.0.2');
  await assert.rejects(p.resolve(target, options(lookup)), { code: 'address' });
  assert.equal(dns.queries.filter((q) => q.type === 'A').length, 2, 'one A query per connection');
  await waitFor(() => checked.sockets.length === 1, 'the checked address dialled');
  assert.equal(good.sockets.length, 0, '127.0.0.1 never saw a SYN');
});

test('B4: a peer address that differs from the pinned one is destroyed with BackendError', async (t) => {
  const backend = await listener(t, '127.0.0.1');
  const p = policy({ ports: [backend.port], allowAddresses: ['127.0.0.2'] });
  const pinned = await p.resolve(accepted(p, `127.0.0.2:${backend.port}`), options(never));
  const redirected = (o: DialOptions): Promise<Socket> => dial({ ...o, host: '127.0.0.1' });
  const err = await dialPinned(pinned, {
    ...dialOptions,
    signal: new AbortController().signal,
    dial: redirected,
  }).catch((e: unknown) => e);
  assert.ok(err instanceof BackendError);
  assert.equal(err.kind, 'unreachable');
  assert.match(err.message, /127\.0\.0\.1.*expected 127\.0\.0\.2/);
  // The proxy side was destroyed, so the backend sees its connection close.
  await waitFor(
    () => backend.sockets.length === 1 && backend.sockets.every((s) => s.closed),
    'the one connection closed',
  );
});

test('B5: an AAAA answer ::ffff:127.0.0.1 is IPv4 loopback, dialled only when allowed', async (t) => {
  const backend = await listener(t, '127.0.0.1');
  const dns = await startDnsResponder((_n, type) => (type === 'AAAA' ? ['::ffff:127.0.0.1'] : []));
  t.after(() => dns.close());
  const lookup = responderLookup(dns.port);
  const raw = `mapped.mud.example.com:${backend.port}`;
  for (const allow of [[], ['::1'], ['127.0.0.2']]) {
    const p = policy({ ports: [backend.port], allowAddresses: allow });
    await assert.rejects(p.resolve(accepted(p, raw), options(lookup)), (e: unknown) => {
      return e instanceof TargetError && /127\.0\.0\.1 \(loopback\)/.test(e.message);
    });
  }
  const p = policy({ ports: [backend.port], allowAddresses: ['127.0.0.1'] });
  const pinned = await p.resolve(accepted(p, raw), options(lookup));
  assert.equal(pinned.address, '127.0.0.1');
  assert.equal(pinned.classification.family, 4);
  const socket = await dialPinned(pinned, { ...dialOptions, signal: new AbortController().signal });
  socket.destroy();
  assert.ok(dns.queries.some((q) => q.type === 'AAAA' && q.name === 'mapped.mud.example.com'));
});

test('B7: DNS failure, timeout and abort reject with BackendError; detail stays in the message', async () => {
  const p = policy();
  const target = accepted(p, 'gone.mud.example.com:4000');
  const nx: LookupFn = async () =>
    Promise.reject(Object.assign(new Error('x'), { code: 'ENOTFOUND' }));
  await assert.rejects(p.resolve(target, options(nx)), {
    name: 'BackendError',
    kind: 'dns',
    message: /ENOTFOUND/,
  });
  await assert.rejects(p.resolve(target, options(scripted([]))), {
    kind: 'dns',
    message: /no addresses/,
  });
  const hang: LookupFn = () => new Promise(() => {});
  const started = Date.now();
  await assert.rejects(p.resolve(target, { ...options(hang), dnsTimeoutMs: 50 }), {
    kind: 'dns',
    message: /timed out/,
  });
  assert.ok(Date.now() - started < 1000);
  const ac = new AbortController();
  const pending = p.resolve(target, options(hang, ac.signal));
  ac.abort();
  await assert.rejects(pending, { kind: 'aborted' });
  await assert.rejects(p.resolve(target, options(never, ac.signal)), { kind: 'aborted' });
});
