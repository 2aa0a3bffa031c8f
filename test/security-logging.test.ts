/**
 * SECURITY.md section F (logging and privacy) and E9 (page headers and CSP, fetched over
 * HTTP). Logs are read exactly as written (`rawLogs`): one JSON object per line, no raw
 * control characters, capped fields, no secrets or keystrokes.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { test } from 'node:test';
import type { ConfigInput } from '../server/config/config.ts';
import { hashPassword } from '../server/gateway/auth.ts';
import { collect, openSession, type TestProxy, waitFor, withProxy } from './helpers/proxy.ts';
import { encodeFrame, Op, rawHttp, rawSession, rawUpgrade } from './helpers/raw-ws.ts';
import { echoOnce, httpRequest, released } from './helpers/security.ts';

const TOKEN = 'f2-secret-token-do-not-log-0123456789';
const INJECT = '\r\n{"level":"admin","msg":"forged"}\x1b[2J';

async function setup(t: TestContext, extra: Partial<ConfigInput> = {}) {
  const proxy = await withProxy(t, {
    hosts: [{ id: 'echo', name: 'Echo', input: 'raw' }],
    ...extra,
  });
  return { proxy, echo: proxy.backend };
}

/** C0 and C1 controls, DEL, line separators and bidi overrides, unescaped. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding raw control characters is the point
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** The log invariants of F1, over every line written so far. */
function assertCleanLogs(proxy: TestProxy): void {
  assert.ok(proxy.rawLogs.length > 0);
  for (const line of proxy.rawLogs) {
    // The helper splits on \n and parses each line: a forged line would have failed there.
    assert.ok(!RAW_CONTROL.test(line), `raw control in ${JSON.stringify(line)}`);
  }
  for (const entry of proxy.logs) {
    assert.ok(
      ['debug', 'info', 'warn', 'error'].includes(String(entry.level)),
      `level ${entry.level}`,
    );
    assert.notEqual(entry.msg, 'forged');
    for (const [key, value] of Object.entries(entry)) {
      if (typeof value === 'string')
        assert.ok(value.length <= 300, `field ${key} is ${value.length} characters long`);
    }
  }
}

test('F1: hostile Origin, User-Agent, user name, host id and close reason cannot forge or garble log lines', async (t) => {
  const { proxy } = await setup(t, {
    auth: { mode: 'trusted-header' },
    trustedProxies: ['127.0.0.1'],
    allowMissingOrigin: false,
  });
  // Header values cannot carry CR, LF or ESC (Node answers 400, logged once), but they can
  // carry Latin-1 bytes: 0x9B is the 8-bit CSI, 0x85 NEL.
  const c1 = Buffer.from('evil\x9b2J\x85{"level":"admin"}', 'latin1');
  const forged = await rawHttp(
    proxy.port,
    `GET /ws?host=echo HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nUser-Agent: a${INJECT}\r\n\r\n`,
  );
  assert.equal(forged.status, 400);
  const long = `https://${'a'.repeat(5000)}.example`;
  const res = await rawUpgrade(proxy.port, { origin: long });
  assert.equal(res.status, 403);
  res.socket.destroy();
  const hostId = encodeURIComponent(`x${INJECT}`);
  const unknown = await rawUpgrade(proxy.port, {
    path: `/ws?host=${hostId}`,
    headers: [['X-Forwarded-User', 'alice']],
  });
  assert.equal(unknown.status, 404);
  unknown.socket.destroy();
  // A session whose user name and User-Agent carry C1 controls, closed with a hostile reason.
  const latin = (s: Buffer): string => s.toString('latin1');
  const { socket, reader } = await rawSession(proxy.port, {
    path: '/ws?host=echo',
    headers: [
      ['X-Forwarded-User', latin(c1)],
      ['User-Agent', latin(c1)],
    ],
  });
  const reason = Buffer.from(INJECT.slice(0, 60));
  const payload = Buffer.concat([Buffer.from([0x03, 0xe8]), reason]);
  socket.write(encodeFrame({ opcode: Op.CLOSE, payload }));
  await reader.ended;
  await released(proxy);
  const close = proxy.logs.find((l) => l.event === 'session.close');
  assert.equal(close?.code, 1000);
  assert.ok(String(close?.reason).includes('{"level":"admin"'), 'the reason is kept, as data');
  const open = proxy.logs.find((l) => l.event === 'session.open');
  assert.ok(String(open?.user).startsWith('evil'), 'the user is kept, as data');
  assertCleanLogs(proxy);
  // JSON escapes of what was sent are visible in the raw text.
  const text = proxy.rawLogs.join('\n');
  assert.ok(text.includes('\\r\\n{\\"level\\":\\"admin\\"'), 'CR LF and quotes escaped');
  assert.ok(text.includes('\\u001b[2J'), 'ESC escaped');
  assert.ok(text.includes('\\u009b2J'), 'C1 CSI escaped');
  assert.equal(
    proxy.logs.filter((l) => l.event === 'http.refused').length,
    1,
    'one line for the 400',
  );
});

test('F2: tokens, passwords and keystrokes never reach the logs', async (t) => {
  const { proxy, echo } = await setup(t, {
    auth: { mode: 'token', tokens: [{ name: 'alice', token: TOKEN }] },
  });
  const wrong = 'f2-wrong-token-also-secret-987654321';
  for (const headers of [
    { Authorization: `Bearer ${wrong}` },
    { Cookie: `porthole_token=${wrong}` },
  ]) {
    const res = await rawUpgrade(proxy.port, {
      headers: Object.entries(headers) as [string, string][],
    });
    assert.equal(res.status, 401);
    res.socket.destroy();
  }
  const viaQuery = await rawUpgrade(proxy.port, { path: `/ws?host=echo&token=${wrong}` });
  assert.equal(viaQuery.status, 401);
  viaQuery.socket.destroy();
  const ws = await openSession(proxy, 'echo', { headers: { Authorization: `Bearer ${TOKEN}` } });
  const got = collect(ws);
  ws.send(Buffer.from('hunter2\r'));
  await waitFor(() => got.bytes().toString().includes('hunter2'), 'echo of the keystrokes');
  ws.send(JSON.stringify({ type: 'gmcp', package: 'Char.Login', data: { password: 'hunter3' } }));
  ws.close();
  await released(proxy);
  await waitFor(() => Buffer.concat(echo.received[0] ?? []).includes('hunter2'), 'backend got it');
  const api = await httpRequest(proxy.port, { path: `/api/hosts?token=${wrong}` });
  assert.equal(api.status, 401);
  for (const line of proxy.rawLogs) {
    for (const secret of [TOKEN, wrong, 'hunter2', 'hunter3'])
      assert.ok(!line.includes(secret), `${secret} in ${line}`);
  }
  // Password mode: neither the wrong nor the right password is logged.
  const passwordHash = await hashPassword('correct password hunter4');
  const pw = await setup(t, { auth: { mode: 'password', users: [{ name: 'bob', passwordHash }] } });
  for (const password of ['wrong password hunter5', 'correct password hunter4']) {
    const res = await httpRequest(pw.proxy.port, {
      method: 'POST',
      path: '/login',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user: 'bob', password }).toString(),
    });
    assert.equal(res.status, 303);
  }
  assert.ok(pw.proxy.logs.some((l) => l.event === 'auth.ok' && l.user === 'bob'));
  for (const line of pw.proxy.rawLogs) {
    assert.ok(!/hunter[45]|scrypt\$/.test(line), `secret in ${line}`);
  }
});

test('F3: one full session is audited: auth.fail, session.open and session.close with their fields', async (t) => {
  const { proxy } = await setup(t, {
    auth: { mode: 'token', tokens: [{ name: 'alice', token: TOKEN }] },
  });
  const denied = await rawUpgrade(proxy.port, {
    headers: [['Authorization', 'Bearer nope-nope-nope-nope']],
  });
  denied.socket.destroy();
  assert.equal(denied.status, 401);
  const ws = await openSession(proxy, 'echo', {
    protocol: 'binary',
    headers: { Authorization: `Bearer ${TOKEN}`, 'User-Agent': 'F3-agent/1.0' },
  });
  await echoOnce(ws);
  const got = collect(ws);
  ws.close(1000, 'bye');
  await got.closed;
  await released(proxy);
  const fail = proxy.logs.filter((l) => l.event === 'auth.fail');
  assert.equal(fail.length, 1);
  assert.equal(fail[0]?.ip, '127.0.0.1');
  assert.equal(fail[0]?.status, 401);
  const opens = proxy.logs.filter((l) => l.event === 'session.open');
  const closes = proxy.logs.filter((l) => l.event === 'session.close');
  assert.equal(opens.length, 1);
  assert.equal(closes.length, 1);
  const open = opens[0] ?? {};
  const close = closes[0] ?? {};
  assert.equal(open.user, 'alice');
  assert.equal(open.host, 'echo');
  assert.equal(open.ip, '127.0.0.1');
  assert.equal(open.ua, 'F3-agent/1.0');
  assert.match(String(open.session), /^[0-9a-f-]{36}$/);
  assert.equal(close.session, open.session);
  assert.equal(close.user, 'alice');
  assert.equal(close.host, 'echo');
  assert.equal(close.code, 1000);
  assert.equal(close.reason, 'bye');
  assert.equal(typeof close.durationMs, 'number');
  assert.ok(Number(close.bytesUp) > 0 && Number(close.bytesDown) > 0, 'byte counts');
  assert.equal(close.bytesUp, close.bytesDown, 'an echo returns what it got');
  for (const entry of proxy.logs) assert.equal(typeof entry.time, 'string');
});

function csp(header: string | string[] | undefined): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of String(header).split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name !== undefined && name !== '') map.set(name, values);
  }
  return map;
}

test("E9: pages carry a strict CSP (no inline or eval script), nosniff, no-referrer and frame-ancestors 'none'", async (t) => {
  const { proxy } = await setup(t);
  const page = await httpRequest(proxy.port, { path: '/' });
  const policy = csp(page.headers['content-security-policy']);
  assert.deepEqual(policy.get('default-src'), ["'self'"]);
  assert.deepEqual(policy.get('script-src'), ["'self'"]);
  assert.deepEqual(policy.get('object-src'), ["'none'"]);
  assert.deepEqual(policy.get('frame-ancestors'), ["'none'"]);
  assert.deepEqual(policy.get('base-uri'), ["'self'"], 'only our own <base href> (the basePath)');
  assert.deepEqual(policy.get('connect-src'), ["'self'"]);
  for (const [name, values] of policy) {
    if (name.startsWith('script') || name === 'default-src') {
      for (const bad of ["'unsafe-inline'", "'unsafe-eval'", 'data:', '*', 'http:', 'https:'])
        assert.ok(!values.includes(bad), `${name} allows ${bad}`);
    }
  }
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.equal(page.headers['referrer-policy'], 'no-referrer');
  assert.equal(page.headers['x-frame-options'], 'DENY');
  assert.equal(
    page.headers['strict-transport-security'],
    undefined,
    'no HSTS on plain loopback http',
  );
  assert.equal(page.headers['x-powered-by'], undefined);
  if (page.status === 200) {
    // The built client obeys the policy: every script is an external file.
    for (const tag of page.body.match(/<script\b[^>]*>/g) ?? []) assert.match(tag, /\bsrc=/);
    assert.ok(!/\son[a-z]+=/i.test(page.body), 'no inline event handlers');
  }
  // API answers and errors carry the same headers.
  for (const path of ['/api/info', '/nope', '/api/hosts/nope']) {
    const res = await httpRequest(proxy.port, { path });
    assert.equal(res.headers['x-content-type-options'], 'nosniff', path);
    // Express's own 404 page narrows the policy to default-src 'none': stricter still.
    const p = csp(res.headers['content-security-policy']);
    const scripts = p.get('script-src') ?? p.get('default-src') ?? [];
    assert.ok(scripts.length > 0, path);
    assert.ok(!scripts.some((v) => v.startsWith("'unsafe-")), path);
  }
});

test('E9: HSTS with an https publicUrl; frame-ancestors from config; the login page has no script', async (t) => {
  const passwordHash = await hashPassword('e9 password');
  const { proxy } = await setup(t, {
    publicUrl: 'https://app.example.com',
    frameAncestors: ['https://portal.example.com'],
    auth: { mode: 'password', users: [{ name: 'e9', passwordHash }] },
  });
  const login = await httpRequest(proxy.port, { path: '/login' });
  assert.equal(login.status, 200);
  assert.match(String(login.headers['strict-transport-security']), /max-age=\d{7,}/);
  const policy = csp(login.headers['content-security-policy']);
  assert.deepEqual(policy.get('frame-ancestors'), ['https://portal.example.com']);
  assert.deepEqual(policy.get('script-src'), ["'self'"]);
  assert.equal(login.headers['x-frame-options'], undefined, 'frame-ancestors governs embedding');
  assert.ok(!/<script/i.test(login.body), 'no script on the login page');
  assert.ok(!/\son[a-z]+=/i.test(login.body), 'no inline event handlers');
});

test('E7/F2: HTTP errors answer generically: no stack trace, path or library name in any response', async (t) => {
  const proxy = await withProxy(t, {
    hosts: [{ id: 'a', name: 'A', target: 'tcp://127.0.0.1:1' }],
    auth: { mode: 'password', users: [{ name: 'u', passwordHash: await hashPassword('p') }] },
  });
  const base = `http://127.0.0.1:${proxy.port}`;
  const responses = [
    await fetch(`${base}/login`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'sec-fetch-site': 'same-origin',
      },
      body: `user=${'x'.repeat(10_000)}`,
    }),
    await fetch(`${base}/login`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=klingon',
        'sec-fetch-site': 'same-origin',
      },
      body: 'user=a',
    }),
    await fetch(`${base}/no/such/page`),
    await fetch(`${base}/api/hosts/%E0%A4%A`),
  ];
  for (const res of responses) {
    const body = await res.text();
    assert.ok(res.status >= 400, `status ${res.status}`);
    assert.doesNotMatch(
      body,
      /node_modules|at \w+ \(|Error:|<pre>/,
      `leaky body for ${res.url}: ${body.slice(0, 120)}`,
    );
  }
  assert.equal(responses[0]?.status, 413);
});
