/**
 * The telnet engine end to end, through a real WebSocket session: real telnet servers from
 * Debian's packages (BusyBox and GNU inetutils telnetd) and a scripted MUD that speaks
 * MCCP2, GMCP, EOR and MSSP byte for byte as the MUD protocol specs describe.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import type { WebSocket } from 'ws';
import { startBackend } from './helpers/backends.ts';
import { type Collected, collect, openSession, waitFor, withProxy } from './helpers/proxy.ts';
import { MccpWriter } from './helpers/telnet-mccp.ts';
import {
  startBusyboxTelnetd,
  startInetutilsTelnetd,
  type TelnetServer,
} from './helpers/telnet-servers.ts';
import { parseWire } from './helpers/telnet-transcript.ts';

/** Sends `command` every 500 ms until `pattern` shows in the output (the resize may be rate-limited). */
async function runUntil(
  ws: WebSocket,
  got: Collected,
  command: string,
  pattern: RegExp,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + 8000;
  for (;;) {
    ws.send(Buffer.from(`${command}\r`));
    const until = Date.now() + 500;
    while (Date.now() < until) {
      const match = got.bytes().toString('utf8').match(pattern);
      if (match !== null) return match;
      await new Promise((r) => setTimeout(r, 20));
    }
    if (Date.now() > deadline)
      throw new Error(
        `no ${pattern} in output: ${JSON.stringify(got.bytes().toString().slice(-300))}`,
      );
  }
}

async function shellThroughPorthole(
  t: test.TestContext,
  server: TelnetServer,
): Promise<{ ws: WebSocket; got: Collected }> {
  const proxy = await withProxy(t, {
    backend: server,
    hosts: [{ id: 'shell', name: 'Shell', scheme: 'telnet' }],
  });
  const ws = await openSession(proxy, 'shell');
  const got = collect(ws);
  await waitFor(() => /[#$] $/.test(got.bytes().toString('utf8')), 'a shell prompt', 10_000);
  return { ws, got };
}

test('BusyBox telnetd: a resize to 123×45 reaches the shell (NAWS); the server takes echo', async (t) => {
  const { ws, got } = await shellThroughPorthole(t, await startBusyboxTelnetd());
  assert.ok(
    got.control.some((m) => m.type === 'echo' && m.local === false),
    'echo control message',
  );
  ws.send(JSON.stringify({ type: 'resize', cols: 123, rows: 45 }));
  const size = await runUntil(ws, got, "stty size | sed 's/^/SIZE:/'", /SIZE:45 123/);
  assert.equal(size[0], 'SIZE:45 123');
  ws.close();
});

test('GNU inetutils telnetd: TERM is the type we answered to TTYPE; resize reaches stty', async (t) => {
  const { ws, got } = await shellThroughPorthole(t, await startInetutilsTelnetd());
  const term = await runUntil(ws, got, 'echo "TERM:[$TERM]"', /TERM:\[([^\]$]*)\]/);
  // BSD-derived telnetd lower-cases the RFC 1091 name it was sent.
  assert.equal(term[1], 'xterm-256color');
  ws.send(JSON.stringify({ type: 'resize', cols: 123, rows: 45 }));
  await runUntil(ws, got, "stty size | sed 's/^/SIZE:/'", /SIZE:45 123/);
  assert.ok(
    got.control.some((m) => m.type === 'echo' && m.local === false),
    'echo control message',
  );
  ws.close();
});

/** What the scripted MUD received so far, as one buffer. */
function receivedBy(backend: { received: Buffer[][] }): Buffer {
  return Buffer.concat(backend.received[0] ?? []);
}

test('a scripted MUD: MCCP2 from the next byte, GMCP both ways, EOR prompts, MSSP, end of compression', async (t) => {
  let socket: Socket | undefined;
  const proxy = await withProxy(t, {
    backend: startBackend((s) => {
      socket = s;
      // tintin.mudhalla.net/protocols: the server offers, the client answers with DO.
      s.write(parseWire('{IAC WILL MCCP2 IAC WILL GMCP IAC WILL OPT_EOR IAC WILL MSSP}'));
    }),
    hosts: [{ id: 'mud', name: 'Test MUD', scheme: 'telnet' }],
  });
  const { backend } = proxy;
  const ws = await openSession(proxy, 'mud');
  const got = collect(ws);
  const hello = parseWire(
    '{IAC SB GMCP}Core.Hello \\{"client":"Porthole","version":"0.1.0"}{IAC SE}',
  );
  const replies = Buffer.concat([
    parseWire('{IAC DO MCCP2 IAC DO GMCP}'),
    hello,
    parseWire('{IAC DO OPT_EOR IAC DO MSSP}'),
  ]);
  await waitFor(() => receivedBy(backend).length >= replies.length, 'negotiation replies');
  assert.deepEqual(receivedBy(backend), replies);
  if (socket === undefined) throw new Error('no backend socket');
  const mud = socket;

  mud.write(parseWire('{IAC SB MSSP 1}NAME{2}Testmud{1}PLAYERS{2}3{IAC SE}'));
  // MCCP2: the stream starts with the byte right after IAC SE, in the same TCP write.
  const writer = new MccpWriter();
  const first = await writer.write(
    parseWire(
      'Welcome to Testmud!\r\n{IAC SB GMCP}Char.Vitals \\{"hp":100,"maxhp":120}{IAC SE}HP:100> {IAC EOR}',
    ),
  );
  mud.write(Buffer.concat([parseWire('{IAC SB MCCP2 IAC SE}'), first]));
  await waitFor(() => got.control.some((m) => m.type === 'prompt'), 'the EOR prompt');
  assert.deepEqual(
    got.control.find((m) => m.type === 'gmcp'),
    { type: 'gmcp', package: 'Char.Vitals', data: { hp: 100, maxhp: 120 } },
  );
  assert.equal(got.bytes().toString('utf8'), 'Welcome to Testmud!\r\nHP:100> ');
  assert.deepEqual(proxy.porthole.hosts.get('mud')?.mssp, { NAME: ['Testmud'], PLAYERS: ['3'] });

  const mark = receivedBy(backend).length;
  ws.send(
    JSON.stringify({ type: 'gmcp', package: 'Core.Supports.Set', data: ['Char 1', 'Room 1'] }),
  );
  ws.send(Buffer.from('look\r'));
  const expected = Buffer.concat([
    parseWire('{IAC SB GMCP}Core.Supports.Set ["Char 1","Room 1"]{IAC SE}'),
    Buffer.from('look\r\n'),
  ]);
  await waitFor(
    () => receivedBy(backend).length >= mark + expected.length,
    'GMCP and a command at the MUD',
  );
  assert.deepEqual(receivedBy(backend).subarray(mark), expected);

  // The MUD ends compression (Z_FINISH); what follows in the same write is plain telnet.
  const last = await writer.end(
    parseWire('A fountain.\r\n{IAC SB GMCP}Room.Info \\{"num":12}{IAC SE}'),
  );
  mud.write(Buffer.concat([last, Buffer.from('Compression off.\r\n')]));
  await waitFor(
    () => got.bytes().toString('utf8').endsWith('Compression off.\r\n'),
    'plain text after MCCP2',
  );
  assert.equal(
    got.bytes().toString('utf8'),
    'Welcome to Testmud!\r\nHP:100> A fountain.\r\nCompression off.\r\n',
  );
  assert.deepEqual(got.control.filter((m) => m.type === 'gmcp').at(-1), {
    type: 'gmcp',
    package: 'Room.Info',
    data: { num: 12 },
  });
  ws.close();
});
