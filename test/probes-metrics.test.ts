/**
 * Kubernetes-style probes and the metrics an operator scrapes: /healthz and /readyz answer
 * a probe by pod address while the page's Host check holds; /metrics is never public (its own
 * listener, or loopback only); the series follow Prometheus conventions and pass promtool.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { test } from 'node:test';
import { openSession, upgradeStatus, waitFor, withProxy } from './helpers/proxy.ts';

/** A GET with a Host header of our choosing (fetch would not let us set it). */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('M3 a probe by pod IP is answered while the Host check holds for the page; /metrics on its own listener only', async (t) => {
  const proxy = await withProxy(t, {
    publicUrl: 'https://play.example.org',
    metrics: { listen: '127.0.0.1:0' },
    hosts: [{ id: 'echo', name: 'Echo' }],
  });
  const podIp = { Host: '10.244.1.17:8080' };
  assert.equal((await get(proxy.port, '/healthz', podIp)).status, 200);
  assert.equal((await get(proxy.port, '/readyz', podIp)).status, 200);
  assert.equal((await get(proxy.port, '/', podIp)).status, 421, 'the page keeps its Host check');
  assert.equal((await get(proxy.port, '/api/hosts', podIp)).status, 421);
  const good = { Host: 'play.example.org' };
  assert.equal(
    (await get(proxy.port, '/metrics', good)).status,
    404,
    'no /metrics on the public port',
  );
  const metricsPort = proxy.porthole.metricsAddress()?.port;
  assert.ok(metricsPort !== undefined);
  const scrape = await get(metricsPort, '/metrics', podIp);
  assert.equal(scrape.status, 200, 'Prometheus scrapes by pod IP');
  assert.match(scrape.body, /^porthole_sessions\{host="echo"\} 0$/m);
  assert.equal((await get(metricsPort, '/', podIp)).status, 404, 'nothing else there');
});

test('M2 without metrics.listen, /metrics answers this machine only, never through a proxy', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [{ id: 'echo', name: 'Echo' }],
    trustedProxies: ['127.0.0.1'],
  });
  assert.equal((await get(proxy.port, '/metrics', { Host: '127.0.0.1' })).status, 200);
  const proxied = await get(proxy.port, '/metrics', {
    Host: '127.0.0.1',
    'X-Forwarded-For': '203.0.113.9',
  });
  assert.equal(proxied.status, 404);
});

test('metrics: sessions by host, bytes each way, connect latency and failures, closes, refusals; promtool is happy', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [
      { id: 'echo', name: 'Echo' },
      { id: 'down', name: 'Down', target: 'tcp://127.0.0.1:1' },
    ],
  });
  const { backend } = proxy;
  const ws = await openSession(proxy, 'echo', { protocol: 'binary' });
  const got: Buffer[] = [];
  ws.on('message', (d: Buffer) => got.push(d));
  ws.send(Buffer.from('12345'));
  await waitFor(() => Buffer.concat(got).length === 5, 'echo');
  const live = (await get(proxy.port, '/metrics', { Host: '127.0.0.1' })).body;
  assert.match(live, /^porthole_sessions\{host="echo"\} 1$/m);
  assert.match(live, /^porthole_session_bytes_total\{direction="up"\} 5$/m, 'live bytes count');
  ws.close();
  const failing = await openSession(proxy, 'down', { protocol: 'binary' });
  await new Promise((r) => failing.once('close', r));
  assert.equal(await upgradeStatus(proxy, '/ws?host=nope'), 404);
  await waitFor(() => proxy.porthole.sessions.size === 0, 'sessions closed');
  const text = (await get(proxy.port, '/metrics', { Host: '127.0.0.1' })).body;
  for (const line of [
    /^porthole_sessions\{host="echo"\} 0$/m,
    /^porthole_sessions_opened_total\{host="echo"\} 1$/m,
    /^porthole_session_bytes_total\{direction="down"\} 5$/m,
    /^porthole_session_bytes_total\{direction="up"\} 5$/m,
    /^porthole_backend_connect_seconds_count\{host="echo"\} 1$/m,
    /^porthole_backend_connect_failures_total\{host="down",reason="refused"\} 1$/m,
    /^porthole_session_closes_total\{code="1005"\} 1$/m,
    /^porthole_session_closes_total\{code="1014"\} 1$/m,
    /^porthole_session_duration_seconds_count\{host="echo"\} 1$/m,
    /^porthole_upgrade_refusals_total\{status="404"\} 1$/m,
  ])
    assert.match(text, line);
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
  // The audit line names the address dialled; every log line has an event.
  const open = proxy.logs.find((l) => l.event === 'session.open' && l.host === 'echo');
  assert.equal(open?.target, `127.0.0.1:${backend.port}`);
  const dialled = proxy.logs.find(
    (l) => l.event === 'session.dialled' && l.session === open?.session,
  );
  assert.deepEqual([dialled?.address, dialled?.port], ['127.0.0.1', backend.port]);
  assert.deepEqual(
    proxy.logs.filter((l) => typeof l.event !== 'string').map((l) => l.msg),
    [],
    'every log line has an event',
  );
});
