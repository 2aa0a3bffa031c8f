/**
 * A backend that expects a HAProxy PROXY protocol header (v1 or v2), parses it the way the
 * specification describes (independently of Porthole's encoder), records what it announced,
 * and then echoes everything after it.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { type FakeBackend, startBackend } from './backends.ts';

export interface ProxyRecord {
  version: 1 | 2;
  /** TCP4, TCP6, UNKNOWN (v1) or LOCAL (v2). */
  family: string;
  source?: string;
  destination?: string;
  sourcePort?: number;
  destinationPort?: number;
}

export interface ProxyProtocolBackend extends FakeBackend {
  /** One record per connection whose header parsed. */
  records: ProxyRecord[];
  /** Why a header did not parse, per connection that sent a bad one. */
  errors: string[];
}

const SIG = Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1');

function ipv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

function parseV1(line: string): ProxyRecord | string {
  const parts = line.split(' ');
  if (parts[0] !== 'PROXY') return `not a PROXY line: ${JSON.stringify(line)}`;
  if (parts[1] === 'UNKNOWN') return { version: 1, family: 'UNKNOWN' };
  const [, family, source, destination, sport, dport] = parts;
  const isIp = family === 'TCP4' ? isIPv4 : isIPv6;
  if (parts.length !== 6 || (family !== 'TCP4' && family !== 'TCP6'))
    return `bad v1 line: ${JSON.stringify(line)}`;
  if (source === undefined || destination === undefined || !isIp(source) || !isIp(destination))
    return `bad v1 addresses: ${line}`;
  const sourcePort = Number(sport);
  const destinationPort = Number(dport);
  if (!(sourcePort >= 0 && sourcePort < 65536 && destinationPort >= 0 && destinationPort < 65536))
    return `bad v1 ports: ${line}`;
  return { version: 1, family, source, destination, sourcePort, destinationPort };
}

function parseV2(header: Buffer): ProxyRecord | string {
  const verCmd = header[12];
  const fam = header[13];
  const body = header.subarray(16);
  if (verCmd === 0x20) return { version: 2, family: 'LOCAL' };
  if (verCmd !== 0x21) return `bad v2 version/command ${verCmd}`;
  if (fam === 0x11 && body.length >= 12) {
    return {
      version: 2,
      family: 'TCP4',
      source: [...body.subarray(0, 4)].join('.'),
      destination: [...body.subarray(4, 8)].join('.'),
      sourcePort: body.readUInt16BE(8),
      destinationPort: body.readUInt16BE(10),
    };
  }
  if (fam === 0x21 && body.length >= 36) {
    return {
      version: 2,
      family: 'TCP6',
      source: ipv6(body.subarray(0, 16)),
      destination: ipv6(body.subarray(16, 32)),
      sourcePort: body.readUInt16BE(32),
      destinationPort: body.readUInt16BE(34),
    };
  }
  return `bad v2 family ${fam} with ${body.length} address bytes`;
}

/** Splits the header off `buffered`: [record or error, rest], or undefined while incomplete. */
function takeHeader(buffered: Buffer): [ProxyRecord | string, Buffer] | undefined {
  if (buffered.length >= 16 && buffered.subarray(0, 12).equals(SIG)) {
    const end = 16 + buffered.readUInt16BE(14);
    if (buffered.length < end) return undefined;
    return [parseV2(buffered.subarray(0, end)), buffered.subarray(end)];
  }
  if (buffered.length >= 12 && buffered.subarray(0, 12).equals(SIG.subarray(0, 12)))
    return undefined;
  const eol = buffered.indexOf('\r\n');
  if (eol === -1)
    return buffered.length > 107 ? ['v1 line longer than 107 bytes', buffered] : undefined;
  return [parseV1(buffered.subarray(0, eol).toString('latin1')), buffered.subarray(eol + 2)];
}

export async function startProxyProtocolBackend(): Promise<ProxyProtocolBackend> {
  const records: ProxyRecord[] = [];
  const errors: string[] = [];
  const backend = await startBackend((socket) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const taken = takeHeader(buffered);
      if (taken === undefined) return;
      socket.off('data', onData);
      const [record, rest] = taken;
      if (typeof record === 'string') {
        errors.push(record);
        socket.destroy();
        return;
      }
      records.push(record);
      if (rest.length > 0) socket.write(rest);
      socket.pipe(socket);
    };
    socket.on('data', onData);
  });
  return Object.assign(backend, { records, errors });
}
