import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type AddressKind,
  classify,
  endsInNumber,
  isInternal,
  parseCidr,
  parseIPv4,
  sameAddress,
} from '../server/common/address.ts';

// SECURITY.md B3, row by row, plus more spellings and every special range.
// spelling · canonical (= when unchanged) · kind · embedded IPv4 (Teredo: server,client).
const ZOO = `
2130706433                             127.0.0.1            loopback
0177.0.0.1                             127.0.0.1            loopback
017700000001                           127.0.0.1            loopback
0x7f000001                             127.0.0.1            loopback
0X7F.1                                 127.0.0.1            loopback
0x7f.1                                 127.0.0.1            loopback
127.1                                  127.0.0.1            loopback
127.0.1                                127.0.0.1            loopback
0                                      0.0.0.0              unspecified
0.0.0.0                                =                    unspecified
[::]                                   ::                   unspecified
[::1]                                  ::1                  loopback
0:0:0:0:0:0:0:1                        ::1                  loopback
::ffff:127.0.0.1                       127.0.0.1            loopback
[::ffff:7f00:1]                        127.0.0.1            loopback
::FFFF:7F00:0001                       127.0.0.1            loopback
64:ff9b::a9fe:a9fe                     =                    metadata      169.254.169.254
64:ff9b::127.0.0.1                     64:ff9b::7f00:1      loopback      127.0.0.1
2002:7f00:1::                          =                    loopback      127.0.0.1
2002:a00:1::1                          =                    private       10.0.0.1
2001:0:4136:e378:8000:63bf:3fff:fdd2   =                    documentation 65.54.227.120,192.0.2.45
2001:0:4136:e378:8000:63bf:80ff:fffe   =                    loopback      65.54.227.120,127.0.0.1
::127.0.0.1                            ::7f00:1             loopback      127.0.0.1
::ffff:0:a9fe:a9fe                     =                    metadata      169.254.169.254
169.254.169.254                        =                    metadata
0251.0376.0251.0376                    169.254.169.254      metadata
0xa9fea9fe                             169.254.169.254      metadata
169.254.1.1                            =                    link-local
fd00:ec2::254                          =                    metadata
fe80::1%lo                             fe80::1              link-local
[FE80::1%eth0]                         fe80::1              link-local
10.1.2.3                               =                    private
012.1                                  10.0.0.1             private
172.16.0.1                             =                    private
172.31.255.255                         =                    private
192.168.0.1                            =                    private
0xc0a80001                             192.168.0.1          private
fc00::1                                =                    private
fdff:ffff::1                           =                    private
100.64.0.1                             =                    cgnat
100.127.255.255                        =                    cgnat
224.0.0.1                              =                    multicast
ff02::1                                =                    multicast
255.255.255.255                        =                    broadcast
4294967295                             255.255.255.255      broadcast
240.0.0.1                              =                    reserved
0.1.2.3                                =                    reserved
192.0.2.1                              =                    documentation
198.51.100.7                           =                    documentation
203.0.113.9                            =                    documentation
2001:db8::1                            =                    documentation
198.18.0.1                             =                    benchmarking
2001:2::1                              =                    benchmarking
100::1                                 =                    reserved
4000::1                                =                    reserved
168.63.129.16                          =                    metadata
100.100.100.200                        =                    metadata
172.32.0.1                             =                    public
100.128.0.1                            =                    public
8.8.8.8                                =                    public
134744072                              8.8.8.8              public
2606:4700:4700::1111                   =                    public
64:ff9b::808:808                       =                    public        8.8.8.8
2002:808:808::                         =                    public        8.8.8.8
`
  .trim()
  .split('\n')
  .map((line) => {
    const [spelling = '', canonical = '', kind = '', embedded] = line.split(/ +/);
    return { spelling, canonical: canonical === '=' ? spelling : canonical, kind, embedded };
  });

test('B3: the IP-literal zoo is canonicalised to bytes and classified', () => {
  assert.ok(ZOO.length > 60);
  for (const { spelling, canonical, kind, embedded } of ZOO) {
    const c = classify(spelling);
    assert.ok(c, spelling);
    assert.equal(c.canonical, canonical, spelling);
    assert.equal(c.kind, kind, spelling);
    assert.equal(c.embedded, embedded, spelling);
    assert.equal(c.family, canonical.includes(':') ? 6 : 4, spelling);
    assert.equal(c.bytes.length, c.family === 4 ? 4 : 16, spelling);
    assert.equal(isInternal(spelling), kind !== 'public', spelling);
  }
});

test('B3: zone ids stay out of the canonical form and the bytes', () => {
  const c = classify('fe80::1%eth0');
  assert.equal(c?.zone, 'eth0');
  assert.deepEqual([...(c?.bytes ?? [])], [0xfe, 0x80, ...Array(13).fill(0), 1]);
  assert.equal(classify('fe80::1')?.zone, undefined);
});

test('B3: strings that are not IP literals are refused, matching inet_aton/inet_pton', () => {
  // biome-ignore format: a list of spellings reads best packed
  const bad = [
    '', '08.0.0.1', '0x', '0x.1', '1.2.3.4.5', '256.1.1.1', '1.2.3.256', '1.2.65536', '1.16777216',
    '4294967296', '0x100000000', ' 127.0.0.1', '127.0.0.1 ', '127.0.0.1\n', '127.0.0.1\0', '1..1',
    '.1', '1.', '-1', '+1', '1e3', '0o177.0.0.1', '[127.0.0.1]', '::ffff:0177.0.0.1',
    '::ffff:1.2.3', '1:2:3:4:5:6:7:8:9', '00001::', 'fe80::1%', 'fe80::1%a b', 'fe80::1%../x',
    '[::1', '::1]', '::1/128', 'localhost', 'example.com', '１２７.0.0.1', '127。0。0。1',
    '0x7f.1'.repeat(50),
  ];
  for (const s of bad) assert.equal(classify(s), undefined, JSON.stringify(s));
  for (const s of bad) assert.equal(isInternal(s), true, `fails closed: ${JSON.stringify(s)}`);
});

test('B3: a name whose last label is numeric is an IPv4 literal, never a DNS name', () => {
  for (const s of ['127.1', '0x7f.1', '1.2.3.4.', 'example.123', 'a.0x', 'a.0X1f', '08'])
    assert.equal(endsInNumber(s), true, s);
  for (const s of ['example.com', '0x7f.example', '123.example', 'a.0x1g', 'a.b1'])
    assert.equal(endsInNumber(s), false, s);
});

test('sameAddress compares bytes, not spellings; parseCidr canonicalises config entries', () => {
  assert.ok(sameAddress('::ffff:127.0.0.1', '0x7f.1'));
  assert.ok(sameAddress('FE80::1%eth0', 'fe80:0:0::1'));
  assert.ok(!sameAddress('127.0.0.1', '127.0.0.2'));
  assert.ok(!sameAddress('nonsense', 'nonsense'));
  assert.deepEqual(parseCidr('10.0.0.0/8'), { address: '10.0.0.0', family: 4, prefix: 8 });
  assert.deepEqual(parseCidr('0x7f.1'), { address: '127.0.0.1', family: 4, prefix: 32 });
  assert.deepEqual(parseCidr('FD00::/8'), { address: 'fd00::', family: 6, prefix: 8 });
  for (const s of ['10.0.0.0/33', '::/129', '10.0.0.0/8/8', '::ffff:10.0.0.0/104', 'x/8', '1/-1'])
    assert.equal(parseCidr(s), undefined, s);
});

const byte = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(byte, byte, byte, byte);

/** One number in a random inet_aton base, with random extra leading zeros. */
function spell(value: number, base: 8 | 10 | 16, zeros: number, upper: boolean): string {
  if (base === 10) return value.toString(10);
  if (base === 16) {
    const hex = '0'.repeat(zeros) + value.toString(16);
    return `${upper ? '0X' : '0x'}${upper ? hex.toUpperCase() : hex}`;
  }
  return `0${'0'.repeat(zeros)}${value.toString(8)}`;
}

const part = fc.record({
  base: fc.constantFrom<8 | 10 | 16>(8, 10, 16),
  zeros: fc.integer({ min: 0, max: 3 }),
  upper: fc.boolean(),
});

/** A random 1–4 part inet_aton spelling of the address, each part in its own base. */
const spelling = fc
  .tuple(ipv4, fc.integer({ min: 1, max: 4 }), fc.array(part, { minLength: 4, maxLength: 4 }))
  .map(([octets, count, styles]) => {
    const [a, b, c, d] = octets;
    const values =
      [
        [(a * 2 ** 24 + b * 2 ** 16 + c * 256 + d) >>> 0],
        [a, (b << 16) | (c << 8) | d],
        [a, b, (c << 8) | d],
        [a, b, c, d],
      ][count - 1] ?? [];
    const text = values.map((v, i) => {
      const s = styles[i] ?? { base: 10 as const, zeros: 0, upper: false };
      return spell(v, s.base, s.zeros, s.upper);
    });
    return { dotted: octets.join('.'), text: text.join('.') };
  });

test('B3 (property): every inet_aton spelling gives the same bytes and class as dotted-decimal', () => {
  fc.assert(
    fc.property(spelling, ({ dotted, text }) => {
      const c = classify(text);
      assert.equal(c?.canonical, dotted, text);
      assert.equal(c?.kind, classify(dotted)?.kind);
      // Independent oracle: the WHATWG URL host parser implements the same number forms.
      assert.equal(new URL(`http://${text}/`).hostname, dotted);
      assert.deepEqual([...(parseIPv4(text) ?? [])], dotted.split('.').map(Number));
    }),
    { numRuns: 2000 },
  );
});

const hex16 = (hi: number, lo: number): string => ((hi << 8) | lo).toString(16);

test('B3/B5 (property): mapped, NAT64, 6to4, SIIT and Teredo forms carry the IPv4 class', () => {
  fc.assert(
    fc.property(ipv4, ([a, b, c, d]) => {
      const dotted = `${a}.${b}.${c}.${d}`;
      const v4 = classify(dotted);
      const hi = hex16(a, b);
      const lo = hex16(c, d);
      for (const mapped of [
        `::ffff:${dotted}`,
        `::ffff:${hi}:${lo}`,
        `[::FFFF:${hi}:${lo}]`,
        `0:0:0:0:0:ffff:${dotted}`,
      ]) {
        assert.equal(classify(mapped)?.canonical, dotted, mapped);
        assert.equal(classify(mapped)?.family, 4);
        assert.equal(classify(mapped)?.kind, v4?.kind);
      }
      const inverted = `${hex16(a ^ 255, b ^ 255)}:${hex16(c ^ 255, d ^ 255)}`;
      const wrapped: [string, AddressKind][] = [
        [`64:ff9b::${dotted}`, 'public'],
        [`2002:${hi}:${lo}::1`, 'public'],
        [`::ffff:0:${hi}:${lo}`, 'reserved'],
        [`2001:0:808:808:0:0:${inverted}`, 'reserved'],
      ];
      for (const [text, fallback] of wrapped) {
        const w = classify(text);
        assert.equal(w?.family, 6, text);
        assert.equal(w?.embedded?.split(',').at(-1), dotted, text);
        assert.equal(w?.kind, v4?.kind === 'public' ? fallback : v4?.kind, text);
      }
    }),
    { numRuns: 2000 },
  );
});

const ipv6Bytes = fc.uint8Array({ minLength: 16, maxLength: 16 });
const zeroRuns = fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 8 }));

test('B3 (property): any IPv6 spelling canonicalises to RFC 5952, agreeing with WHATWG URL', () => {
  fc.assert(
    fc.property(ipv6Bytes, zeroRuns, fc.boolean(), (raw, [at, len], upper) => {
      const bytes = Uint8Array.from(raw);
      bytes.fill(0, at * 2, Math.min(16, (at + len) * 2)); // make compressible runs likely
      const groups = Array.from({ length: 8 }, (_, i) =>
        hex16(bytes[2 * i] ?? 0, bytes[2 * i + 1] ?? 0),
      );
      const full = groups.map((g) => g.padStart(4, '0')).join(':');
      const c = classify(upper ? full.toUpperCase() : full);
      assert.ok(c);
      if (c.family === 4) return; // ::ffff:0:0/96, covered above
      assert.deepEqual([...c.bytes], [...bytes]);
      assert.equal(`[${c.canonical}]`, new URL(`http://[${full}]/`).hostname);
      assert.equal(classify(c.canonical)?.canonical, c.canonical);
      assert.equal(classify(`[${c.canonical}]`)?.kind, c.kind);
    }),
    { numRuns: 2000 },
  );
});

// A second, independent list of non-public ranges (IANA special-purpose registries), so a
// typo in server/common/address.ts's table shows up as a disagreement.
const ORACLE = new BlockList();
const ORACLE_RANGES = `
  0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 168.63.129.16/32 169.254.0.0/16 172.16.0.0/12
  192.0.0.0/24 192.0.2.0/24 192.88.99.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24
  203.0.113.0/24 224.0.0.0/3`;
for (const cidr of ORACLE_RANGES.trim().split(/\s+/)) {
  const [net = '', bits] = cidr.split('/');
  ORACLE.addSubnet(net, Number(bits), 'ipv4');
}

test('B3 (property): isInternal agrees with an independent list of special IPv4 ranges', () => {
  fc.assert(
    fc.property(ipv4, (octets) => {
      const dotted = octets.join('.');
      assert.equal(isInternal(dotted), ORACLE.check(dotted, 'ipv4'), dotted);
    }),
    { numRuns: 20_000 },
  );
  // Either side of the range boundaries.
  const outside = '9.255.255.255 11.0.0.0 100.63.255.255 172.15.255.255 172.32.0.0 223.255.255.255';
  const inside = '10.255.255.255 100.127.255.255 172.31.255.255 224.0.0.0 255.255.255.254';
  for (const edge of outside.split(' ')) assert.equal(isInternal(edge), false, edge);
  for (const edge of inside.split(' ')) assert.equal(isInternal(edge), true, edge);
});

test('B3 (property): random strings never throw, and what parses re-parses to itself', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.stringMatching(/^[0-9a-fxX.:%[\]]{0,40}$/),
  );
  fc.assert(
    fc.property(text, (s) => {
      const c = classify(s);
      if (c === undefined) return;
      assert.equal(classify(c.canonical)?.canonical, c.canonical);
      assert.equal(classify(c.canonical)?.kind, c.kind);
    }),
    { numRuns: 10_000 },
  );
});
