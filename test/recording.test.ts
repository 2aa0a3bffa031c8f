/**
 * Recording (issue 13): asciicast v2 files from real sessions (the output events, concatenated,
 * are exactly what the browser received), resizes, input only when asked and never while the
 * host has taken over echo (passwords), the size cap and a full disk (the recording stops,
 * the session goes on), retention by age and total size, and who may list and read them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../server/common/log.ts';
import { resolveConfig } from '../server/config/config.ts';
import { RecordingStore } from '../server/session/recording-store.ts';
import { type FakeBackend, startBackend } from './helpers/backends.ts';
import { collect, openSession, type ProxyFixture, waitFor, withProxy } from './helpers/proxy.ts';

const ADMIN = 'admin-token-0123456789';
const PLAYER = 'player-token-0123456789';
const auth = {
  mode: 'token' as const,
  tokens: [
    { name: 'root', token: ADMIN, groups: ['admins'] },
    { name: 'player', token: PLAYER, groups: ['players'] },
  ],
};
const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

function tempDir(t: import('node:test').TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-rec-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

type Cast = { header: Record<string, unknown>; events: [number, string, string][] };

/** Parses asciicast v2 strictly: a header object, then [number, code, string] lines. */
function parseCast(text: string): Cast {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const [first, ...rest] = text.slice(0, -1).split('\n');
  const header = JSON.parse(first ?? '') as Record<string, unknown>;
  assert.equal(header.version, 2);
  for (const key of ['width', 'height', 'timestamp'])
    assert.equal(typeof header[key], 'number', `header.${key}`);
  assert.equal(typeof header.title, 'string');
  const events = rest.map((line) => JSON.parse(line) as [number, string, string]);
  let last = 0;
  for (const e of events) {
    assert.equal(e.length, 3);
    assert.equal(typeof e[0], 'number');
    assert.ok(e[0] >= last, 'times never go back');
    last = e[0];
    assert.ok(['o', 'i', 'r'].includes(e[1]), e[1]);
    assert.equal(typeof e[2], 'string');
  }
  return { header, events };
}

async function api(proxy: ProxyFixture, path: string, token = ADMIN): Promise<Response> {
  return fetch(`${proxy.origin}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

/** Waits until the session's recording is complete (listed, not live) and returns it. */
async function finished(proxy: ProxyFixture): Promise<{ id: string; text: string }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await api(proxy, '/api/recordings');
    const body = (await r.json()) as { recordings: { id: string; live: boolean }[] };
    const done = body.recordings.find((x) => !x.live);
    if (done !== undefined) {
      const file = await api(proxy, `/api/recordings/${done.id}`);
      assert.equal(file.status, 200);
      return { id: done.id, text: await file.text() };
    }
    if (Date.now() > deadline) throw new Error('timed out waiting for a finished recording');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Writes `parts` to the browser one after another (a UTF-8 character split across two). */
function scriptedBackend(parts: Buffer[]): Promise<FakeBackend> {
  return startBackend((s) => {
    s.once('data', () => {
      let i = 0;
      const next = (): void => {
        const part = parts[i++];
        if (part === undefined) return;
        s.write(part);
        setTimeout(next, 20);
      };
      next();
    });
  });
}

test('a recorded session: asciicast v2 whose output events are exactly the bytes the browser got', async (t) => {
  const dir = tempDir(t);
  const parts = [
    Buffer.from('\x1b[1;32mWelcome\x1b[0m to the h'),
    Buffer.from([0xc3]),
    Buffer.from([0xa9, 0x6c]),
    Buffer.from('lo world ✓\r\n'),
    Buffer.alloc(100_000, 'x'),
    Buffer.from('\r\nbye\r\n'),
  ];
  const proxy = await withProxy(t, {
    auth,
    recording: { dir },
    hosts: [{ id: 'rec', name: 'Recorded', record: true }],
    backend: scriptedBackend(parts),
  });
  const owner = await openSession(proxy, 'rec', as(PLAYER));
  const got = collect(owner);
  await waitFor(() => got.control.length > 0, 'hello');
  assert.match(
    await (await fetch(`${proxy.origin}/metrics`)).text(),
    /^porthole_recordings_active 1$/m,
  );
  owner.on('message', (d: Buffer, binary: boolean) => {
    if (binary) owner.send(JSON.stringify({ type: 'ack', bytes: d.length }));
  });
  await waitFor(() => got.control.some((m) => m.type === 'hello'), 'hello');
  assert.equal(got.control.find((m) => m.type === 'hello')?.recording, true);
  owner.send(JSON.stringify({ type: 'resize', cols: 100, rows: 30 }));
  owner.send(Buffer.from('start\r\n'));
  const total = parts.reduce((n, p) => n + p.length, 0);
  await waitFor(() => got.bytes().length >= total, 'all output');
  owner.send(JSON.stringify({ type: 'resize', cols: 90, rows: 20 }));
  await new Promise((r) => setTimeout(r, 150));
  owner.close(1000);
  await got.closed;
  const { id, text } = await finished(proxy);
  const cast = parseCast(text);
  assert.equal(cast.header.width, 100);
  assert.equal(cast.header.height, 30);
  assert.equal(cast.header.title, 'Recorded (player)');
  const output = cast.events
    .filter((e) => e[1] === 'o')
    .map((e) => e[2])
    .join('');
  assert.equal(output, got.bytes().toString('utf8'));
  assert.ok(output.includes('héllo world ✓'));
  assert.deepEqual(
    cast.events.filter((e) => e[1] === 'r').map((e) => e[2]),
    ['90x20'],
  );
  // asciinema itself (Debian's) reads the file and prints exactly what the browser got
  // (`asciinema cat` wants a terminal: script(1) gives it one, which asciinema puts in raw mode).
  const played = spawnSync(
    'script',
    ['-qec', `asciinema cat ${join(dir, `${id}.cast`)}`, '/dev/null'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(played.status, 0, played.stderr);
  assert.equal(played.stdout, got.bytes().toString('utf8'));
  assert.equal(
    cast.events.filter((e) => e[1] === 'i').length,
    0,
    'input is not recorded by default',
  );
});

test('S5: recordInput: keystrokes are kept only while the client echoes; a password never is', async (t) => {
  const dir = tempDir(t);
  const IAC = 255;
  const backend = startBackend((s) => {
    let stage = 0;
    s.write(Buffer.concat([Buffer.from('Name: ')]));
    s.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      if (stage === 0 && text.includes('\n')) {
        stage = 1;
        s.write(Buffer.concat([Buffer.from('Password: '), Buffer.from([IAC, 251, 1])]));
      } else if (stage === 1 && text.includes('\n')) {
        stage = 2;
        s.write(Buffer.concat([Buffer.from([IAC, 252, 1]), Buffer.from('\r\nWelcome.\r\n')]));
      }
    });
  });
  const proxy = await withProxy(t, {
    auth,
    recording: { dir },
    hosts: [{ id: 'mud', scheme: 'telnet', record: true, recordInput: true }],
    backend,
  });
  const owner = await openSession(proxy, 'mud', as(PLAYER));
  const got = collect(owner);
  await waitFor(() => got.bytes().toString().includes('Name: '), 'name prompt');
  owner.send(Buffer.from('gandalf\r\n'));
  await waitFor(() => got.control.some((m) => m.type === 'echo' && m.local === false), 'echo off');
  owner.send(Buffer.from('hunter2-secret\r\n'));
  await waitFor(() => got.bytes().toString().includes('Welcome.'), 'logged in');
  await waitFor(
    () => got.control.at(-1)?.type === 'echo' && got.control.at(-1)?.local === true,
    'echo back on',
  );
  owner.send(Buffer.from('look\r\n'));
  await new Promise((r) => setTimeout(r, 150));
  owner.close(1000);
  const { text } = await finished(proxy);
  const input = parseCast(text)
    .events.filter((e) => e[1] === 'i')
    .map((e) => e[2])
    .join('');
  assert.equal(input, 'gandalf\r\nlook\r\n');
  assert.ok(!text.includes('hunter2'), 'the password is nowhere in the file');
});

test('S7: size cap: the recording stops with a warning, the file stays valid, the session goes on', async (t) => {
  const dir = tempDir(t);
  const proxy = await withProxy(t, {
    auth,
    recording: { dir, maxBytesPerSession: 4096 },
    hosts: [{ id: 'echo', record: true }],
  });
  const owner = await openSession(proxy, 'echo', as(PLAYER));
  const got = collect(owner);
  for (let i = 0; i < 20; i++) owner.send(Buffer.from(`${'line '.repeat(60)}${i}\r\n`));
  await waitFor(() => got.control.some((m) => m.type === 'recording'), 'recording stopped');
  assert.deepEqual(
    got.control.find((m) => m.type === 'recording'),
    {
      type: 'recording',
      active: false,
      detail: 'size limit reached',
    },
  );
  // A stopped recording is no longer active once its file is closed.
  for (let i = 0; ; i++) {
    const metrics = await (await fetch(`${proxy.origin}/metrics`)).text();
    if (/^porthole_recordings_active 0$/m.test(metrics)) break;
    assert.ok(i < 200, 'porthole_recordings_active back to 0');
    await new Promise((r) => setTimeout(r, 25));
  }
  owner.send(Buffer.from('still alive\r\n'));
  await waitFor(() => got.bytes().toString().includes('still alive'), 'session goes on');
  assert.ok(proxy.logs.some((l) => l.event === 'recording.stopped' && l.level === 'warn'));
  owner.close(1000);
  const { text } = await finished(proxy);
  assert.ok(Buffer.byteLength(text) <= 4096, `${Buffer.byteLength(text)} bytes`);
  const output = parseCast(text)
    .events.map((e) => e[2])
    .join('');
  assert.ok(got.bytes().toString().startsWith(output), 'what was kept is a prefix of the session');
});

test('S7: disk full: the recording stops with a warning, the session goes on', async (t) => {
  if (process.getuid?.() !== 0) {
    // Not root: run this test again in a user and mount namespace, where mounting a tmpfs is allowed.
    const r = spawnSync(
      'unshare',
      [
        '--user',
        '--map-root-user',
        '--mount',
        process.execPath,
        '--import',
        'tsx',
        '--test',
        '--test-name-pattern',
        '^S7: disk full',
        import.meta.filename,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    return;
  }
  const full = mkdtempSync(join(tmpdir(), 'porthole-full-'));
  // A 64 KiB file system, really filled up: the recorder gets ENOSPC from the kernel.
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]);
  t.after(() => {
    spawnSync('umount', ['-l', full]);
    rmSync(full, { recursive: true, force: true });
  });
  assert.equal(mounted.status, 0, String(mounted.stderr));
  const proxy = await withProxy(t, {
    auth,
    recording: { dir: full },
    hosts: [{ id: 'echo', record: true }],
  });
  const owner = await openSession(proxy, 'echo', as(PLAYER));
  const got = collect(owner);
  owner.on('message', (d: Buffer, binary: boolean) => {
    if (binary) owner.send(JSON.stringify({ type: 'ack', bytes: d.length }));
  });
  const line = Buffer.from(`${'z'.repeat(4000)}\r\n`);
  for (let i = 0; i < 40; i++) owner.send(line);
  await waitFor(() => got.control.some((m) => m.type === 'recording'), 'recording stopped', 10_000);
  assert.match(String(got.control.find((m) => m.type === 'recording')?.detail), /ENOSPC/);
  await waitFor(
    () => got.bytes().length >= 40 * line.length,
    'every byte still reaches the browser',
  );
  owner.send(Buffer.from('after\r\n'));
  await waitFor(() => got.bytes().toString().endsWith('after\r\n'), 'session goes on');
  assert.equal(proxy.porthole.sessions.size, 1);
});

test('S7: retention: recordings older than maxAge go, then the oldest while over maxTotalBytes', async (t) => {
  const dir = tempDir(t);
  const day = 86_400_000;
  const now = Date.now();
  const files = [
    ['20260101T000000Z-mud-00000001', 40 * day, 1000],
    ['20260102T000000Z-mud-00000002', 3 * day, 3000],
    ['20260103T000000Z-mud-00000003', 2 * day, 3000],
    ['20260104T000000Z-mud-00000004', 1 * day, 3000],
  ] as const;
  for (const [id, age, size] of files) {
    const path = join(dir, `${id}.cast`);
    writeFileSync(
      path,
      `${JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1, title: id })}\n`.padEnd(
        size,
        ' ',
      ),
    );
    utimesSync(path, (now - age) / 1000, (now - age) / 1000);
  }
  writeFileSync(join(dir, 'notes.txt'), 'not a recording');
  const store = new RecordingStore(
    {
      dir,
      maxBytesPerSession: 1024,
      retention: { maxAge: 30 * day, maxTotalBytes: 7000 },
      admins: { users: [], groups: ['admins'] },
    },
    createLogger('silent'),
  );
  await store.applyRetention(now);
  assert.deepEqual(readdirSync(dir).sort(), [
    '20260103T000000Z-mud-00000003.cast',
    '20260104T000000Z-mud-00000004.cast',
    'notes.txt',
  ]);
  // A recording being written is never deleted, however large.
  const live = store.create('mud', 'ffffffff-0000');
  writeFileSync(live.path, 'x'.repeat(10_000));
  await store.applyRetention(now);
  // It counts towards the total: the finished ones go first.
  assert.deepEqual(readdirSync(dir).sort(), [`${live.id}.cast`, 'notes.txt']);
});

test('S6: who may read recordings: admins only; ids are checked; download as .cast', async (t) => {
  assert.throws(
    () =>
      resolveConfig({
        auth,
        recording: { dir: '/tmp/x', admins: { groups: [] } },
        hosts: [{ id: 'a', name: 'A', target: 'tcp://127.0.0.1:1' }],
      }),
    /recording\.admins: must name at least one user or group/,
  );
  const dir = tempDir(t);
  const proxy = await withProxy(t, {
    auth,
    recording: { dir },
    hosts: [{ id: 'echo', record: true }],
  });
  const owner = await openSession(proxy, 'echo', as(PLAYER));
  const got = collect(owner);
  owner.send(Buffer.from('hi\r\n'));
  await waitFor(() => got.bytes().length > 0, 'echo');
  owner.close(1000);
  const { id } = await finished(proxy);
  assert.equal((await api(proxy, '/api/recordings', PLAYER)).status, 403);
  assert.equal((await api(proxy, `/api/recordings/${id}`, PLAYER)).status, 403);
  assert.equal((await fetch(`${proxy.origin}/api/recordings`)).status, 401);
  for (const bad of ['..%2F..%2Fetc%2Fpasswd', 'x', `${id}.cast`, `${id}%00`])
    assert.equal((await api(proxy, `/api/recordings/${bad}`)).status, 404, bad);
  const dl = await api(proxy, `/api/recordings/${id}?download=1`);
  assert.equal(dl.status, 200);
  assert.equal(dl.headers.get('content-disposition'), `attachment; filename="${id}.cast"`);
  assert.match(String(dl.headers.get('content-type')), /application\/x-asciicast/);
  assert.ok(proxy.logs.some((l) => l.event === 'recording.refused' && l.user === 'player'));
});
