/** Shared fixtures for the customTargets tests: policies, scripted lookups, loopback listeners. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { customTargetsSchema } from '../../server/config/custom-targets-schema.ts';
import {
  type CustomTarget,
  type LookupFn,
  type ResolveOptions,
  TargetError,
  TargetPolicy,
} from '../../server/targets/custom.ts';
import { BackendError, type DialOptions } from '../../server/targets/dial.ts';

// "Public" answers are only ever compared or handed to a fake dial; nothing connects to them.
export const PUBLIC_V4 = '93.184.215.14';
export const PUBLIC_V6 = '2606:2800:21f:cb07:6820:80da:af6b:8b2c';

/** The ports the tests' policies allow unless told otherwise (the schema has no default). */
export const TEST_PORTS = [23, 2323, '4000-9999'];

export function policy(
  overrides: Record<string, unknown> = {},
  ownAddresses: () => readonly string[] = () => [],
): TargetPolicy {
  return new TargetPolicy(
    customTargetsSchema.parse({ enabled: true, ports: TEST_PORTS, ...overrides }),
    ownAddresses,
  );
}

export function accepted(p: TargetPolicy, raw: string): CustomTarget {
  const t = p.parse(raw);
  if (t instanceof TargetError) assert.fail(`${raw} refused: ${t.message}`);
  return t;
}

export function refused(p: TargetPolicy, raw: string): TargetError {
  const t = p.parse(raw);
  assert.ok(t instanceof TargetError, `${JSON.stringify(raw).slice(0, 80)} was accepted`);
  return t;
}

/** A lookup that answers `answers[i]` on its i-th call and records the names asked. */
export function scripted(...answers: string[][]): LookupFn & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (hostname: string) => {
    calls.push(hostname);
    const list = answers[Math.min(calls.length, answers.length) - 1] ?? [];
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(fn, { calls });
}

export const never: LookupFn = () => assert.fail('DNS must not be consulted');

export function options(lookup: LookupFn, signal = new AbortController().signal): ResolveOptions {
  return { dnsTimeoutMs: 2000, signal, lookup };
}

export const dialOptions = { connectTimeoutMs: 2000, dnsTimeoutMs: 2000 };

/** A dial that records what it was asked to reach and connects to nothing. */
export function fakeDial(): { hosts: string[]; dial: (o: DialOptions) => Promise<Socket> } {
  const hosts: string[] = [];
  return {
    hosts,
    dial: async (o) => {
      hosts.push(o.host);
      throw new BackendError('refused', 'fake dial');
    },
  };
}

export async function listener(t: TestContext, host: string, port = 0) {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s.on('error', () => {})));
  server.listen(port, host);
  await once(server, 'listening');
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { port: address.port, sockets };
}

/** SECURITY.md B3 spellings as `?target=` hosts: every one internal. */
export const ZOO_TARGETS = [
  '2130706433',
  '0177.0.0.1',
  '017700000001',
  '0x7f000001',
  '0x7f.1',
  '127.1',
  '127.0.0.1.',
  '0.0.0.0',
  '0',
  '[::]',
  '[::1]',
  '[::ffff:127.0.0.1]',
  '[::ffff:7f00:1]',
  '[64:ff9b::a9fe:a9fe]',
  '[2002:7f00:1::]',
  '169.254.169.254',
  '10.0.0.1',
  '100.64.0.1',
  '192.168.1.1',
  '[fd00:ec2::254]',
  '[fe80::1]',
  '224.0.0.1',
  '255.255.255.255',
  '192.0.2.1',
  '[::127.0.0.1]',
];
