/**
 * A scripted DNS server on 127.0.0.1 (UDP, port 0) for rebinding tests (SECURITY.md B4, B5),
 * and a `lookup` that asks only it, through a c-ares Resolver. Nothing here ever sends a
 * packet to any address but loopback.
 */

import { createSocket } from 'node:dgram';
import type { LookupAddress } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import type { LookupFn } from '../../server/targets/custom.ts';

export type RecordType = 'A' | 'AAAA';

/** Answers for one query; `index` counts earlier queries of the same name and type. */
export type Answerer = (name: string, type: RecordType, index: number) => string[];

export interface DnsResponder {
  port: number;
  /** Every question received, in order (`mud.example.com`, without the root dot). */
  queries: { name: string; type: RecordType | number }[];
  close(): Promise<void>;
}

const TYPE_CODE: Readonly<Record<RecordType, number>> = { A: 1, AAAA: 28 };

function readQuestion(msg: Buffer): { name: string; qtype: number; end: number } | undefined {
  const labels: string[] = [];
  let at = 12;
  while (at < msg.length) {
    const len = msg.readUInt8(at);
    if (len === 0) break;
    if (len > 63) return undefined;
    labels.push(msg.toString('latin1', at + 1, at + 1 + len));
    at += 1 + len;
  }
  if (at + 5 > msg.length) return undefined;
  return { name: labels.join('.').toLowerCase(), qtype: msg.readUInt16BE(at + 1), end: at + 5 };
}

function answerRecord(type: RecordType, address: string): Buffer {
  const rdata = Buffer.from(ipaddr.parse(address).toByteArray());
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // name: pointer to the question
  head.writeUInt16BE(TYPE_CODE[type], 2);
  head.writeUInt16BE(1, 4); // class IN
  head.writeUInt32BE(0, 6); // TTL 0: nothing may be cached between the two questions
  head.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, rdata]);
}

function reply(msg: Buffer, end: number, records: Buffer[]): Buffer {
  const header = Buffer.alloc(12);
  msg.copy(header, 0, 0, 2); // same id
  header.writeUInt16BE(0x8180, 2); // response, recursion desired + available, NOERROR
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  return Buffer.concat([header, msg.subarray(12, end), ...records]);
}

/** Starts the responder on 127.0.0.1:0. */
export async function startDnsResponder(answer: Answerer): Promise<DnsResponder> {
  const socket = createSocket('udp4');
  const queries: DnsResponder['queries'] = [];
  const counts = new Map<string, number>();
  socket.on('message', (msg, rinfo) => {
    const q = readQuestion(msg);
    if (q === undefined) return;
    const type = q.qtype === 1 ? 'A' : q.qtype === 28 ? 'AAAA' : undefined;
    queries.push({ name: q.name, type: type ?? q.qtype });
    const key = `${q.name} ${q.qtype}`;
    const index = counts.get(key) ?? 0;
    counts.set(key, index + 1);
    const records =
      type === undefined ? [] : answer(q.name, type, index).map((a) => answerRecord(type, a));
    socket.send(reply(msg, q.end, records), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A `lookup` backed by a Resolver that knows only 127.0.0.1:port: A answers, then AAAA. */
export function responderLookup(port: number): LookupFn {
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  return async (hostname) => {
    const [v4, v6] = await Promise.allSettled([
      resolver.resolve4(hostname),
      resolver.resolve6(hostname),
    ]);
    const out: LookupAddress[] = [];
    if (v4.status === 'fulfilled') for (const address of v4.value) out.push({ address, family: 4 });
    if (v6.status === 'fulfilled') for (const address of v6.value) out.push({ address, family: 6 });
    if (out.length === 0 && v4.status === 'rejected') throw v4.reason;
    return out;
  };
}
