/**
 * One NAWS at connect (issue 11): the server does not tell the host a made-up 80 × 24 before
 * the browser has said its size, and a client that never says still gets 80 × 24.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nawsRecorder } from './e2e/backends.ts';
import { collect, openSession, waitFor, withProxy } from './helpers/proxy.ts';

test('the host asks for NAWS at once; the size the browser sends later is the only one sent', async (t) => {
  const proxy = await withProxy(t, {
    backend: nawsRecorder(),
    hosts: [{ id: 'n', scheme: 'telnet' }],
  });
  const ws = await openSession(proxy, 'n');
  const got = collect(ws);
  await waitFor(
    () => got.control.some((m) => m.type === 'status' && m.state === 'connected'),
    'connected',
  );
  // The backend's DO NAWS has long been answered (WILL NAWS) by now.
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(proxy.backend.sizes, [], 'no size yet: none made up');
  ws.send(JSON.stringify({ type: 'resize', cols: 132, rows: 43 }));
  await waitFor(() => proxy.backend.sizes.length > 0, 'NAWS');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(proxy.backend.sizes, [{ cols: 132, rows: 43 }]);
  ws.close();
});

test('a client that never sends a size still gets NAWS 80 × 24 after a couple of seconds', async (t) => {
  const proxy = await withProxy(t, {
    backend: nawsRecorder(),
    hosts: [{ id: 'n', scheme: 'telnet' }],
  });
  const ws = await openSession(proxy, 'n');
  await waitFor(() => proxy.backend.sizes.length > 0, 'the default NAWS', 10_000);
  assert.deepEqual(proxy.backend.sizes, [{ cols: 80, rows: 24 }]);
  ws.close();
});
