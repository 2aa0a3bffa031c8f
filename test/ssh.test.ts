/**
 * `ssh://` targets (issue 15, SECURITY.md K7–K9) against Debian's OpenSSH sshd started by
 * the test: a password typed in the terminal (masked, never logged), a key given by the
 * operator, `user: $auth`, keyboard-interactive through PAM, the PTY's size and
 * window-change, host keys pinned or learned on first use and a changed one refused, wrong
 * passwords re-prompted and then a clear end, and flow control on a flooding shell.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { WebSocket } from 'ws';
import type { ConfigInput } from '../server/config/config.ts';
import {
  type Collected,
  collect,
  openSession,
  type TestProxy,
  waitFor,
  withProxy,
} from './helpers/proxy.ts';
import { makeSshKey, SSH_USER, type Sshd, startSshd } from './helpers/sshd.ts';

type HostInput = ConfigInput['hosts'][number];
const dir = mkdtempSync(join(tmpdir(), 'porthole-ssh-test-'));

async function sshd(
  t: test.TestContext,
  options: Parameters<typeof startSshd>[0] = {},
): Promise<Sshd> {
  const server = await startSshd(options);
  t.after(() => server.close());
  return server;
}

async function proxyWith(
  t: test.TestContext,
  host: Omit<HostInput, 'id' | 'name'>,
  extra: Partial<ConfigInput> = {},
): Promise<TestProxy> {
  return withProxy(t, { hosts: [{ id: 'ssh', name: 'SSH', ...host }], ...extra });
}

const text = (got: Collected): string => got.bytes().toString('utf8');

async function until(
  got: Collected,
  pattern: RegExp,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  await waitFor(
    () => pattern.test(text(got)),
    `${what}: ${JSON.stringify(text(got).slice(-200))}`,
    timeoutMs,
  );
}

/** Types `line` and Enter as xterm.js would. */
function type(ws: WebSocket, line: string): void {
  ws.send(Buffer.from(`${line}\r`));
}

async function shellPrompt(got: Collected): Promise<void> {
  await until(got, /\$ $/, 'a shell prompt');
}

test('K9: a password typed in the terminal logs in; it is not echoed and not logged; stty follows resizes', async (t) => {
  const server = await sshd(t);
  const proxy = await proxyWith(t, {
    target: server.target,
    hostKey: server.knownHostsLine,
    user: SSH_USER,
  });
  const ws = await openSession(proxy, 'ssh');
  const got = collect(ws);
  ws.send(JSON.stringify({ type: 'resize', cols: 101, rows: 31 }));
  await until(got, /porthole-ssh@127\.0\.0\.1's password: $/, 'the password prompt');
  type(ws, server.password);
  await shellPrompt(got);
  assert.ok(!text(got).includes(server.password), 'the password is not echoed');
  type(ws, 'stty size; echo "TERM=$TERM"');
  await until(got, /31 101\r\nTERM=xterm-256color/, 'the PTY size and type');
  ws.send(JSON.stringify({ type: 'resize', cols: 120, rows: 40 }));
  await new Promise((r) => setTimeout(r, 300)); // resizes are paced at 10 a second
  type(ws, 'stty size');
  await until(got, /40 120\r\n/, 'the size after window-change');
  type(ws, 'whoami');
  await until(got, /\r\nporthole-ssh\r\n/, 'whoami');
  ws.close();
  await waitFor(() => proxy.logs.some((l) => l.event === 'session.close'), 'the close log');
  assert.ok(
    !proxy.rawLogs.some((l) => l.includes(server.password)),
    'the password is in no log line',
  );
  const login = proxy.logs.find((l) => l.event === 'ssh.login');
  assert.equal(login?.user, SSH_USER);
  assert.equal(login?.method, 'password');
});

test('K9: an operator key logs in without a prompt; a SHA256 hostKey pin is enough', async (t) => {
  const client = makeSshKey(dir, 'client');
  const server = await sshd(t, { authorizedKeys: [client.publicKey] });
  const proxy = await proxyWith(t, {
    target: server.target,
    hostKey: server.hostKey.fingerprint,
    user: SSH_USER,
    privateKeyFile: client.file,
  });
  const ws = await openSession(proxy, 'ssh');
  const got = collect(ws);
  await shellPrompt(got);
  assert.ok(!/password/i.test(text(got)), 'no prompt was shown');
  type(ws, 'whoami');
  await until(got, /\r\nporthole-ssh\r\n/, 'whoami');
  assert.equal(proxy.logs.find((l) => l.event === 'ssh.login')?.method, 'publickey');
  ws.close();
});

test('K9: no user configured: "login as:" is asked and echoed; user: $auth takes the Porthole user', async (t) => {
  const server = await sshd(t);
  const asked = await proxyWith(t, { target: server.target, hostKey: server.knownHostsLine });
  const ws = await openSession(asked, 'ssh');
  const got = collect(ws);
  await until(got, /login as: $/, 'the login prompt');
  type(ws, SSH_USER);
  await until(
    got,
    /login as: porthole-ssh\r\nporthole-ssh@127\.0\.0\.1's password: $/,
    'the echoed name, then the password prompt',
  );
  type(ws, server.password);
  await shellPrompt(got);
  ws.close();
  const token = 'a-test-token-of-enough-length';
  const auth = await proxyWith(
    t,
    { target: server.target, hostKey: server.knownHostsLine, user: '$auth' },
    { auth: { mode: 'token', tokens: [{ name: SSH_USER, token }] } },
  );
  const ws2 = await openSession(auth, 'ssh', { headers: { Authorization: `Bearer ${token}` } });
  const got2 = collect(ws2);
  await until(
    got2,
    /^porthole-ssh@127\.0\.0\.1's password: $/,
    'the password prompt for the token user',
  );
  ws2.close();
});

test('K9: a wrong password is asked again, three times, then a clear end', async (t) => {
  const server = await sshd(t);
  const proxy = await proxyWith(t, {
    target: server.target,
    hostKey: server.knownHostsLine,
    user: SSH_USER,
  });
  const ws = await openSession(proxy, 'ssh');
  const got = collect(ws);
  for (let attempt = 1; attempt <= 3; attempt++) {
    const prompts = (): number => text(got).split("'s password: ").length - 1;
    await waitFor(() => prompts() === attempt, `password prompt ${attempt}`, 15_000);
    type(ws, `wrong-${attempt}`);
  }
  const closed = await got.closed;
  assert.equal(closed.code, 4003, 'the host ended the session');
  const screen = text(got);
  assert.equal(screen.split('Permission denied, please try again.').length - 1, 2);
  assert.match(screen, /Permission denied\.\r\n$/);
  assert.ok(!screen.includes('wrong-'), 'no attempt was echoed');
  assert.ok(!proxy.rawLogs.some((l) => l.includes('wrong-')), 'no attempt was logged');
  assert.ok(proxy.logs.some((l) => l.msg === 'SSH login failed'));
});

test('K9: keyboard-interactive (PAM) prompts are shown and answered in the terminal', async (t) => {
  const server = await sshd(t, { pam: true });
  const proxy = await proxyWith(t, {
    target: server.target,
    hostKey: server.knownHostsLine,
    user: SSH_USER,
  });
  const ws = await openSession(proxy, 'ssh');
  const got = collect(ws);
  await until(got, /Password: $/, "PAM's prompt");
  type(ws, server.password);
  await shellPrompt(got);
  assert.equal(proxy.logs.find((l) => l.event === 'ssh.login')?.method, 'keyboard-interactive');
  ws.close();
});

test('K7: knownHostsFile learns an unknown host, then refuses its changed key with a clear message', async (t) => {
  const knownHosts = join(dir, 'known_hosts');
  const first = await startSshd();
  const proxy = await proxyWith(t, {
    target: first.target,
    knownHostsFile: knownHosts,
    user: SSH_USER,
  });
  const ws = await openSession(proxy, 'ssh');
  const got = collect(ws);
  await until(got, /password: $/, 'the password prompt (key learned)');
  ws.close();
  assert.equal(readFileSync(knownHosts, 'utf8'), `${first.knownHostsLine}\n`);
  assert.ok(proxy.logs.some((l) => l.msg === 'SSH host key trusted on first use and recorded'));
  await first.close();
  // The same address and port with another host key: a changed (or spoofed) server.
  const second = await sshd(t, { port: first.port });
  const ws2 = await openSession(proxy, 'ssh');
  const got2 = collect(ws2);
  const closed = await got2.closed;
  assert.equal(closed.code, 1014);
  assert.match(text(got2), /host key of \[127\.0\.0\.1\]:\d+ has CHANGED/);
  assert.ok(
    text(got2).includes(first.hostKey.fingerprint) &&
      text(got2).includes(second.hostKey.fingerprint),
  );
  assert.ok(!text(got2).includes('password'), 'no prompt reaches a server that failed the check');
  const warning = proxy.logs.find((l) => l.event === 'ssh.hostkey' && l.level === 'warn');
  assert.match(String(warning?.detail), /CHANGED/);
  assert.equal(
    readFileSync(knownHosts, 'utf8'),
    `${first.knownHostsLine}\n`,
    'the file is not rewritten',
  );
});

test('K7: a hostKey pin that does not match is refused before any login', async (t) => {
  const server = await sshd(t);
  const other = makeSshKey(dir, 'other-host');
  for (const hostKey of [other.fingerprint, other.publicKey]) {
    const proxy = await proxyWith(t, { target: server.target, hostKey, user: SSH_USER });
    const ws = await openSession(proxy, 'ssh');
    const got = collect(ws);
    assert.equal((await got.closed).code, 1014);
    assert.match(text(got), /is not the configured hostKey/);
  }
});

test('K8: the ack window holds a flooding SSH shell back, and acks let it go on', async (t) => {
  const client = makeSshKey(dir, 'flood-client');
  const server = await sshd(t, { authorizedKeys: [client.publicKey] });
  const proxy = await proxyWith(
    t,
    {
      target: server.target,
      hostKey: server.hostKey.fingerprint,
      user: SSH_USER,
      privateKeyFile: client.file,
    },
    { limits: { highWaterBytes: '256KiB', lowWaterBytes: '64KiB' } },
  );
  const ws = await openSession(proxy, 'ssh');
  const got = collect(ws);
  await shellPrompt(got);
  const before = got.bytes().length;
  ws.send(JSON.stringify({ type: 'ack', bytes: before }));
  type(ws, 'yes porthole-flood');
  await waitFor(() => got.bytes().length >= 256 * 1024, 'a full window');
  await new Promise((r) => setTimeout(r, 500));
  const stalled = got.bytes().length;
  assert.ok(stalled < 256 * 1024 + 256 * 1024, `received ${stalled} bytes without acking`);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(got.bytes().length, stalled, 'nothing more while nothing is acknowledged');
  ws.send(JSON.stringify({ type: 'ack', bytes: stalled - before })); // acks count new bytes
  await waitFor(() => got.bytes().length > stalled + 256 * 1024, 'flow resumed after the ack');
  ws.close();
});
