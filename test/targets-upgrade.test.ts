import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { SUBPROTOCOL } from '../shared/protocol.ts';
import { type FakeBackend, startBackend } from './helpers/backends.ts';
import { type TestProxy, upgradeResponse, waitFor, withProxy } from './helpers/proxy.ts';

async function setup(
  t: test.TestContext,
  customTargets?: Record<string, unknown>,
): Promise<{ proxy: TestProxy; backend: FakeBackend }> {
  const extra = customTargets === undefined ? {} : { customTargets };
  const proxy = await withProxy(t, { backend: startBackend(), hosts: [{ id: 'lab' }], ...extra });
  return { proxy, backend: proxy.backend };
}

test('B1: with customTargets off, any target/port/hostname parameter is a 400 and nothing is dialled', async (t) => {
  const { proxy, backend } = await setup(t);
  const p = backend.port;
  for (const query of [
    'host=127.0.0.1&port=22',
    `target=127.0.0.1:${p}`,
    'target=10.0.0.1:23',
    `host=lab&port=${p + 1}`,
    `host=lab&target=127.0.0.1:${p}`,
    'hostname=127.0.0.1',
    'host=lab&hostname=127.0.0.1',
    'target=__proto__',
  ]) {
    const res = await upgradeResponse(proxy, `/ws?${query}`);
    assert.equal(res.status, 400, query);
    assert.equal(res.body, 'unknown target\n', query);
  }
  assert.equal(backend.sockets.length, 0, 'the recorder saw no connection');
  const refusals = proxy.logs.filter((l) => l.event === 'upgrade.refused');
  assert.equal(refusals.length, 8, 'one log line per refusal');
  assert.ok(refusals.every((l) => typeof l.detail === 'string' && l.detail !== ''));
});

test('B1/B3: enabled, only the allowed address and port connect; everything else is refused before 101', async (t) => {
  const backend0 = await startBackend();
  t.after(() => backend0.close());
  const { proxy, backend } = await setup(t, {
    enabled: true,
    ports: [backend0.port],
    allowAddresses: ['127.0.0.1'],
  });
  // The recorder under test listens on backend0's port; `lab` (backend) must stay untouched.
  for (const [query, status] of [
    [`target=127.0.0.2:${backend0.port}`, 403],
    [`target=[::1]:${backend0.port}`, 403],
    [`target=0.0.0.0:${backend0.port}`, 403],
    [`target=169.254.169.254:${backend0.port}`, 403],
    [`target=127.0.0.1:${backend0.port === 22 ? 23 : 22}`, 403],
    [`target=127.0.0.1:${backend0.port}&host=lab`, 400],
    [`target=127.0.0.1:${backend0.port}&target=127.0.0.1:${backend0.port}`, 400],
    [`target=user@127.0.0.1:${backend0.port}`, 400],
  ] as const) {
    const res = await upgradeResponse(proxy, `/ws?${query}`);
    assert.equal(res.status, status, query);
    assert.equal(res.body, 'unknown target\n', query);
  }
  assert.equal(backend0.sockets.length, 0);
  const open: WebSocket[] = [];
  t.after(() => {
    for (const ws of open) ws.terminate();
  });
  for (const spelling of ['127.0.0.1', '0x7f.1', '2130706433']) {
    const ws = new WebSocket(`${proxy.url}/ws?target=${spelling}:${backend0.port}`, SUBPROTOCOL, {
      origin: proxy.origin,
    });
    open.push(ws);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  }
  await waitFor(() => backend0.sockets.length === 3, 'three connections');
  assert.equal(backend.sockets.length, 0);
});

test('B4: custom targets resolve through the embedder’s lookup, and its answer is still checked', async (t) => {
  const backend0 = await startBackend();
  t.after(() => backend0.close());
  const asked: string[] = [];
  const answers: Record<string, string> = {
    'mud.porthole-lab.net': '127.0.0.1',
    'meta.porthole-lab.net': '169.254.169.254',
  };
  const lookup = async (host: string): Promise<{ address: string }> => {
    asked.push(host);
    const address = answers[host];
    if (address === undefined) throw Object.assign(new Error(`no ${host}`), { code: 'ENOTFOUND' });
    return { address };
  };
  const proxy = await withProxy(
    t,
    {
      backend: startBackend(),
      hosts: [{ id: 'lab' }],
      customTargets: { enabled: true, ports: [backend0.port], allowAddresses: ['127.0.0.1'] },
    },
    { lookup },
  );
  const ws = new WebSocket(
    `${proxy.url}/ws?target=mud.porthole-lab.net:${backend0.port}`,
    SUBPROTOCOL,
    {
      origin: proxy.origin,
    },
  );
  t.after(() => ws.terminate());
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  await waitFor(() => backend0.sockets.length === 1, 'the connection the embedder’s answer named');
  // An answer that points somewhere internal is refused like one from DNS.
  const meta = new WebSocket(
    `${proxy.url}/ws?target=meta.porthole-lab.net:${backend0.port}`,
    SUBPROTOCOL,
    {
      origin: proxy.origin,
    },
  );
  const closed = await new Promise<number>((resolve) =>
    meta.once('close', (code) => resolve(code)),
  );
  assert.equal(closed, 1014);
  assert.deepEqual(asked, ['mud.porthole-lab.net', 'meta.porthole-lab.net']);
  assert.equal(backend0.sockets.length, 1);
  assert.equal(proxy.backend.sockets.length, 0);
});
