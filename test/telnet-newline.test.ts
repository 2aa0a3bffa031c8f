/**
 * Enter through real telnet servers (issue 11): GNU inetutils telnetd negotiates BINARY, and
 * in binary mode a CR LF is two line ends for the shell's pty; BusyBox never negotiates it.
 * One Enter must give one prompt, and 20 pasted lines must arrive as 20 lines on both.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WebSocket } from 'ws';
import type { Newline } from '../server/codec/codec.ts';
import {
  type Collected,
  collect,
  openSession,
  waitFor,
  withBackend,
  withProxy,
} from './helpers/proxy.ts';
import {
  startBusyboxTelnetd,
  startInetutilsTelnetd,
  type TelnetServer,
} from './helpers/telnet-servers.ts';

const PROMPT = 'PROMPT> ';

async function shell(
  t: test.TestContext,
  server: TelnetServer,
  newline?: Newline,
): Promise<{ ws: WebSocket; got: Collected; text: () => string }> {
  const proxy = await withProxy(t, {
    backend: server,
    hosts: [{ id: 'shell', scheme: 'telnet', ...(newline === undefined ? {} : { newline }) }],
  });
  const ws = await openSession(proxy, 'shell');
  const got = collect(ws);
  const text = (): string => got.bytes().toString('utf8');
  await waitFor(() => /[#$] $/.test(text()), 'a shell prompt', 10_000);
  // A prompt we can count: one per line the shell reads.
  ws.send(Buffer.from(`PS1='${PROMPT}'; cd "$(mktemp -d)"\r`));
  await waitFor(() => text().includes(PROMPT), 'the new prompt', 5000);
  await new Promise((r) => setTimeout(r, 300));
  return { ws, got, text };
}

const count = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

/** One Enter → exactly one new prompt; 20 pasted lines into `cat > f` → wc -l says 20, none blank. */
async function checkEnterAndPaste(ws: WebSocket, text: () => string, enter: string): Promise<void> {
  const before = count(text(), PROMPT);
  ws.send(Buffer.from(`echo one${enter}`));
  await waitFor(() => count(text(), PROMPT) >= before + 1, 'the prompt after one Enter', 5000);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(count(text(), PROMPT), before + 1, `one Enter gave one prompt: ${tail(text())}`);

  const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
  ws.send(Buffer.from(`cat > f${enter}`));
  await new Promise((r) => setTimeout(r, 300));
  ws.send(Buffer.from(lines.map((l) => `${l}${enter}`).join('')));
  await new Promise((r) => setTimeout(r, 300));
  ws.send(Buffer.from([0x04])); // Ctrl+D ends cat's input
  await waitFor(() => text().includes(PROMPT), 'cat to end', 5000);
  const mark = text().length;
  ws.send(Buffer.from(`echo "WC:$(wc -l < f):BLANK:$(grep -c '^$' f)"${enter}`));
  await waitFor(() => /WC:\s*\d+:BLANK:\d+/.test(text().slice(mark)), 'wc output', 5000);
  const m = text()
    .slice(mark)
    .match(/WC:\s*(\d+):BLANK:(\d+)/);
  assert.deepEqual([m?.[1], m?.[2]], ['20', '0'], tail(text()));
}

const tail = (s: string): string => JSON.stringify(s.slice(-400));

test('inetutils telnetd (BINARY negotiated): one Enter is one line, 20 pasted lines are 20', async (t) => {
  const { ws, text } = await shell(t, await startInetutilsTelnetd());
  // xterm.js sends Enter and pasted line ends as CR; other clients send CR LF.
  await checkEnterAndPaste(ws, text, '\r');
  await checkEnterAndPaste(ws, text, '\r\n');
  ws.close();
});

test('BusyBox telnetd (no BINARY): one Enter is one line, 20 pasted lines are 20', async (t) => {
  const { ws, text } = await shell(t, await startBusyboxTelnetd());
  await checkEnterAndPaste(ws, text, '\r');
  ws.close();
});

test('a per-host newline wins over the negotiated default, even in binary mode', async (t) => {
  // `newline: lf` on inetutils: Enter goes out as a bare LF, which the pty also ends lines on.
  const { ws, got, text } = await shell(t, await startInetutilsTelnetd(), 'lf');
  await checkEnterAndPaste(ws, text, '\r');
  assert.ok(got.bytes().length > 0);
  ws.close();
});

test('Enter on the wire: CR in binary mode, CR LF otherwise, and an explicit newline always', async (t) => {
  const { startBackend } = await import('./helpers/backends.ts');
  const plain = await withBackend(
    t,
    startBackend((s) => s.write('hello\r\n')),
  );
  const proxy = await withProxy(t, {
    // IAC DO BINARY: the server asks us to transmit in binary (RFC 856).
    backend: startBackend((s) => s.write(Buffer.from([255, 253, 0]))),
    hosts: [
      { id: 'bin', name: 'Binary', scheme: 'telnet' },
      { id: 'bin-crlf', name: 'Binary', scheme: 'telnet', newline: 'crlf' },
      { id: 'plain', name: 'Plain', target: `telnet://127.0.0.1:${plain.port}` },
    ],
  });
  const binary = proxy.backend;
  const sent = async (id: string, backend: typeof binary, index: number): Promise<string> => {
    const ws = await openSession(proxy, id);
    const got = collect(ws);
    await waitFor(
      () => got.control.some((m) => m.type === 'status' && m.state === 'connected'),
      'connected',
    );
    await new Promise((r) => setTimeout(r, 100));
    ws.send(Buffer.from('look\r'));
    await waitFor(() => Buffer.concat(backend.received[index] ?? []).includes('look'), 'the line');
    await new Promise((r) => setTimeout(r, 100));
    ws.close();
    const all = Buffer.concat(backend.received[index] ?? []);
    return all.subarray(all.indexOf('look')).toString('latin1');
  };
  assert.equal(await sent('bin', binary, 0), 'look\r');
  assert.equal(await sent('bin-crlf', binary, 1), 'look\r\n');
  assert.equal(await sent('plain', plain, 0), 'look\r\n');
});
