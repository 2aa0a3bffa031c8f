/**
 * `mnes: true` (issue 15, SECURITY.md K6): NEW-ENVIRON is answered with the six MNES
 * variables, all chosen by Porthole; USER (CVE-2026-24061) or anything else asked for gets
 * no answer, and bytes from the browser can never become environment. Checked in the engine
 * and end to end with GNU inetutils telnetd (`--accept-env`, USER accepted too).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CodecOptions } from '../server/codec/codec.ts';
import { Cmd, Mtts, Opt } from '../server/telnet/codes.ts';
import { TelnetEngine } from '../server/telnet/engine.ts';
import { answerEnviron, Environ } from '../server/telnet/environ.ts';
import { startBackend } from './helpers/backends.ts';
import { collect, openSession, waitFor, withProxy } from './helpers/proxy.ts';
import { startInetutilsTelnetd } from './helpers/telnet-servers.ts';
import { bytesOf, DEFAULT_OPTIONS } from './helpers/telnet-transcript.ts';

const { IAC, SB, SE, DO, WILL, WONT } = Cmd;
const { IS, SEND, VAR, VALUE, USERVAR } = Environ;
const ENV = Opt.NEW_ENVIRON;

const VALUES = {
  CHARSET: 'UTF-8',
  CLIENT_NAME: 'Porthole',
  CLIENT_VERSION: '0.1.0',
  IPADDRESS: '192.0.2.9',
  MTTS: '911',
  TERMINAL_TYPE: 'XTERM-256COLOR',
};

const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

function sb(...body: number[]): Uint8Array {
  return Uint8Array.of(IAC, SB, ENV, ...body, IAC, SE);
}

function engine(options: Partial<CodecOptions> = {}): TelnetEngine {
  return new TelnetEngine({ ...DEFAULT_OPTIONS, ...options });
}

/** VAR as ' VAR ', VALUE as '=', so replies can be matched as text. */
function readable(bytes: Buffer): string {
  return [...bytes]
    .map((b) => (b === VAR ? ' VAR ' : b === VALUE ? '=' : String.fromCharCode(b)))
    .join('');
}

/** The IS replies an engine sends for one backend read. */
function environReplies(codec: TelnetEngine, read: Uint8Array): Buffer {
  return bytesOf(codec.fromBackend(read), 'send');
}

test('K6: named requests get the MNES variables asked for, in order; USER and others get nothing', () => {
  const send = sb(
    SEND,
    VAR,
    ...ascii('USER'),
    USERVAR,
    ...ascii('USER'),
    VAR,
    ...ascii('IPADDRESS'),
    VAR,
    ...ascii('MTTS'),
    VAR,
    ...ascii('IPADDRESS'),
  );
  const reply = answerEnviron(send.subarray(3, -2), VALUES);
  assert.deepEqual(
    Buffer.from(reply ?? []),
    Buffer.from(
      sb(
        IS,
        VAR,
        ...ascii('IPADDRESS'),
        VALUE,
        ...ascii('192.0.2.9'),
        VAR,
        ...ascii('MTTS'),
        VALUE,
        ...ascii('911'),
      ),
    ),
  );
  assert.deepEqual(
    Buffer.from(answerEnviron(Uint8Array.of(SEND, VAR, ...ascii('USER')), VALUES) ?? []),
    Buffer.from(sb(IS)),
  );
  assert.equal(
    answerEnviron(Uint8Array.of(IS, VAR, ...ascii('USER'), VALUE, ...ascii('-f root')), VALUES),
    undefined,
  );
});

test('K6: an empty SEND (or a type with no name) gets all six MNES variables and nothing else', () => {
  for (const payload of [
    Uint8Array.of(SEND),
    Uint8Array.of(SEND, VAR),
    Uint8Array.of(SEND, USERVAR),
  ]) {
    const reply = readable(Buffer.from(answerEnviron(payload, VALUES) ?? []));
    const names = [...reply.matchAll(/ VAR ([A-Z_]+)=/g)].map((m) => m[1]);
    assert.deepEqual(names, [
      'CHARSET',
      'CLIENT_NAME',
      'CLIENT_VERSION',
      'IPADDRESS',
      'MTTS',
      'TERMINAL_TYPE',
    ]);
  }
});

test('K6/D7: without mnes NEW-ENVIRON stays refused; with it, only our side is agreed', () => {
  const plain = engine();
  assert.deepEqual([...environReplies(plain, Uint8Array.of(IAC, DO, ENV))], [IAC, WONT, ENV]);
  assert.equal(environReplies(plain, sb(SEND)).length, 0, 'no answer to a SEND we never agreed to');
  const mnes = engine({ mnes: { ipAddress: '192.0.2.9' } });
  assert.deepEqual([...environReplies(mnes, Uint8Array.of(IAC, DO, ENV))], [IAC, WILL, ENV]);
  const reply = readable(
    environReplies(mnes, sb(SEND, VAR, ...ascii('IPADDRESS'), VAR, ...ascii('MTTS'))),
  );
  assert.match(reply, / VAR IPADDRESS=192\.0\.2\.9 VAR MTTS=(\d+)/);
  const bits = Number(/MTTS=(\d+)/.exec(reply)?.[1]);
  assert.equal(bits & Mtts.PROXY, Mtts.PROXY, 'MTTS bit 128: the session comes through a proxy');
  assert.equal(bits & Mtts.MNES, Mtts.MNES, 'MTTS bit 512: MNES');
  assert.equal(bits & Mtts.SSL, 0, 'no SSL bit on plain telnet');
  const tls = engine({ mnes: { ipAddress: '192.0.2.9' }, tls: true });
  environReplies(tls, Uint8Array.of(IAC, DO, ENV));
  const tlsBits = Number(/MTTS=(\d+)/.exec(readable(environReplies(tls, sb(SEND))))?.[1]);
  assert.equal(tlsBits & Mtts.SSL, Mtts.SSL, 'telnets:// sets the SSL bit');
});

test('K6: inetutils telnetd (USER accepted) gets the MNES values and no USER, whatever the browser types', async (t) => {
  const proxy = await withProxy(t, {
    backend: startInetutilsTelnetd({
      acceptEnv: ['USER', 'IPADDRESS', 'CLIENT_NAME', 'MTTS'],
    }),
    hosts: [{ id: 'mud', name: 'MUD', scheme: 'telnet', mnes: true, input: 'raw' }],
  });
  const ws = await openSession(proxy, 'mud', { localAddress: '127.0.0.9' });
  const got = collect(ws);
  // The CVE-2026-24061 shape, typed before the backend is even connected, then again.
  const attack = Buffer.from(sb(IS, VAR, ...ascii('USER'), VALUE, ...ascii('-f root')));
  ws.send(attack);
  // Then Ctrl-C once the shell runs (sent earlier, it can reach the terminal before the shell
  // and be lost): the shell drops that line (its NEW-ENVIRON byte is a quote) and prompts again.
  await waitFor(() => /[#$] /.test(got.bytes().toString('utf8')), 'a shell prompt', 30_000);
  const text = (): string => got.bytes().toString('utf8');
  for (let tries = 0; !/[#$] $/.test(text()); tries++) {
    assert.ok(tries < 15, `no fresh prompt: ${JSON.stringify(text().slice(-300))}`);
    ws.send(Buffer.from('\x03'));
    await waitFor(() => /[#$] $/.test(text()), 'a fresh prompt', 2000).catch(() => {});
  }
  ws.send(Buffer.concat([attack, Buffer.from('\x03')]));
  const re = /U:\[([^\]$]*)\] IP:\[([^\]$]*)\] CN:\[([^\]$]*)\] MTTS:\[(\d*)\]/;
  // Repeated until it shows: the Ctrl-C may land after the next line and drop it too.
  for (let tries = 0; !re.test(got.bytes().toString('utf8')); tries++) {
    assert.ok(tries < 10, `no echo: ${JSON.stringify(got.bytes().toString('utf8').slice(-300))}`);
    ws.send(Buffer.from('echo "U:[$USER] IP:[$IPADDRESS] CN:[$CLIENT_NAME] MTTS:[$MTTS]"\r'));
    await waitFor(() => re.test(got.bytes().toString('utf8')), 'the echo', 1000).catch(() => {});
  }
  const [, user, ip, clientName, mtts] = re.exec(got.bytes().toString('utf8')) ?? [];
  assert.equal(user, '', 'USER never reaches the server');
  assert.equal(ip, '127.0.0.9', "the browser's address as the gate saw it");
  assert.equal(clientName, 'Porthole');
  assert.equal(Number(mtts) & Mtts.PROXY, Mtts.PROXY);
  ws.close();
});

test('K6: a MUD that asks for USER by name gets an empty IS; typed bytes stay escaped data', async (t) => {
  const proxy = await withProxy(t, {
    backend: startBackend((s) => s.write(Buffer.from([IAC, DO, ENV]))),
    hosts: [{ id: 'mud', name: 'MUD', scheme: 'telnet', mnes: true }],
  });
  const mud = proxy.backend;
  const ws = await openSession(proxy, 'mud');
  const received = (): Buffer => Buffer.concat(mud.received[0] ?? []);
  await waitFor(() => received().includes(Buffer.from([IAC, WILL, ENV])), 'WILL NEW-ENVIRON');
  mud.sockets[0]?.write(sb(SEND, VAR, ...ascii('USER'), USERVAR, ...ascii('USER')));
  await waitFor(() => received().includes(Buffer.from(sb(IS))), 'the IS reply');
  ws.send(Buffer.from(sb(IS, VAR, ...ascii('USER'), VALUE, ...ascii('-f root'))));
  await waitFor(() => received().includes('-f root'), 'the typed bytes');
  const attack = sb(IS, VAR, ...ascii('USER'), VALUE, ...ascii('-f root'));
  const doubled = Buffer.from([...attack].flatMap((b) => (b === IAC ? [IAC, IAC] : [b])));
  assert.deepEqual(
    received(),
    Buffer.concat([Buffer.from([IAC, WILL, ENV]), sb(IS), doubled]),
    'WILL, an IS with no variable, then the typed bytes as escaped data',
  );
  ws.close();
});
