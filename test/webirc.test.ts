/**
 * `webirc: { password }` (issue 15, SECURITY.md K5): the first line to an IRC host is
 * `WEBIRC password gateway hostname ip` (IRCv3), so Debian's ngIRCd shows and bans the
 * browser's address. Plain and TLS ports; without the key the server sees Porthole.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigInput } from '../server/config/config.ts';
import { webircLine } from '../server/targets/webirc.ts';
import { startBackend } from './helpers/backends.ts';
import { startNgircd } from './helpers/ngircd.ts';
import { collect, openSession, type TestProxy, waitFor, withProxy } from './helpers/proxy.ts';

type HostInput = ConfigInput['hosts'][number];

/** Registers a nick from `from` and returns the host WHOIS reports for it. */
async function whoisHost(
  proxy: TestProxy,
  id: string,
  nick: string,
  from: string,
): Promise<string> {
  const ws = await openSession(proxy, id, { localAddress: from });
  const got = collect(ws);
  ws.send(Buffer.from(`NICK ${nick}\rUSER ${nick} 0 * :Test\r`));
  await waitFor(() => / 001 /.test(got.bytes().toString()), 'registration (001)', 20_000);
  ws.send(Buffer.from(`WHOIS ${nick}\r`));
  const re = new RegExp(` 311 ${nick} ${nick} \\S+ (\\S+) \\* :`);
  await waitFor(() => re.test(got.bytes().toString()), 'the WHOIS reply (311)', 20_000);
  ws.close();
  return re.exec(got.bytes().toString())?.[1] ?? '';
}

test('K5: the WEBIRC line follows the IRCv3 form; IPv6 starting with ":" gets a 0', () => {
  const config = { password: 'pw', gateway: 'porthole' };
  assert.equal(
    webircLine(config, '192.0.2.1')?.toString(),
    'WEBIRC pw porthole 192.0.2.1 192.0.2.1\r\n',
  );
  assert.equal(
    webircLine(config, '::ffff:192.0.2.1')?.toString(),
    'WEBIRC pw porthole 192.0.2.1 192.0.2.1\r\n',
  );
  assert.equal(webircLine(config, '::1')?.toString(), 'WEBIRC pw porthole 0::1 0::1\r\n');
  assert.equal(
    webircLine(config, '2001:db8::1')?.toString(),
    'WEBIRC pw porthole 2001:db8::1 2001:db8::1\r\n',
  );
  assert.equal(webircLine(config, 'unknown'), undefined);
});

test("K5: ngIRCd with WEBIRC: WHOIS shows the browser's address, over plain TCP and TLS", async (t) => {
  const irc = await startNgircd('w3b1rc-pass');
  t.after(() => irc.close());
  const webirc = { password: 'w3b1rc-pass' };
  const hosts: HostInput[] = [
    { id: 'irc', name: 'IRC', target: `tcp://127.0.0.1:${irc.port}`, webirc },
    {
      id: 'ircs',
      name: 'IRC TLS',
      target: `tls://127.0.0.1:${irc.tlsPort}`,
      webirc,
      tls: { ca: irc.cert.cert },
    },
    { id: 'plain', name: 'IRC without WEBIRC', target: `tcp://127.0.0.1:${irc.port}` },
  ];
  const proxy = await withProxy(t, { hosts });
  assert.equal(await whoisHost(proxy, 'irc', 'alice', '127.0.0.4'), '127.0.0.4');
  assert.equal(await whoisHost(proxy, 'ircs', 'bob', '127.0.0.5'), '127.0.0.5');
  // The control: without the key the server sees Porthole's own address.
  assert.equal(await whoisHost(proxy, 'plain', 'carol', '127.0.0.6'), '127.0.0.1');
  assert.ok(!proxy.rawLogs.some((l) => l.includes('w3b1rc-pass')), 'the password is never logged');
});

test('K5: the WEBIRC line is the first thing the server receives, before typed bytes', async (t) => {
  const proxy = await withProxy(t, {
    backend: startBackend(),
    hosts: [{ id: 'irc', name: 'IRC', webirc: { password: 'pw', gateway: 'gw' } }],
  });
  const { backend } = proxy;
  const ws = await openSession(proxy, 'irc', { localAddress: '127.0.0.7' });
  ws.send(Buffer.from('NICK early\r'));
  await waitFor(() => Buffer.concat(backend.received[0] ?? []).includes('NICK'), 'the typed line');
  assert.equal(
    Buffer.concat(backend.received[0] ?? []).toString(),
    'WEBIRC pw gw 127.0.0.7 127.0.0.7\r\nNICK early\r\n',
  );
  ws.close();
});
