/**
 * DOM-free client modules: reconnect timing, line-mode history, settings, the picker's
 * filtering and ordering, deep-link routing, the key bar's sequences and link safety.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, reconnectDelayMs } from '../client/backoff.ts';
import {
  filterHosts,
  type HostInfo,
  loadRecent,
  orderHosts,
  parseHostList,
  rememberHost,
} from '../client/host-list.ts';
import { applyModifiers, keySequence } from '../client/keys.ts';
import { HistoryLimits, LineHistory, loadHistory, saveHistory } from '../client/line-history.ts';
import { safeLinkUrl } from '../client/links.ts';
import { parseRoute, routeUrl } from '../client/routing.ts';
import {
  DEFAULT_SETTINGS,
  loadInputMode,
  loadSettings,
  normalizeSettings,
  saveInputMode,
  saveSettings,
} from '../client/settings.ts';
import { MemoryStorage } from '../client/storage.ts';

test('reconnect delays double from 1 s, cap at 30 s, and jitter stays within ±20 %', () => {
  const mid = (n: number): number => reconnectDelayMs(n, () => 0.5);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(mid), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.equal(
    reconnectDelayMs(3, () => 0),
    3200,
  );
  assert.equal(
    reconnectDelayMs(3, () => 0.999999),
    4800,
  );
  assert.equal(
    reconnectDelayMs(99, () => 0.999999),
    Backoff.maxMs,
    'jitter never exceeds the cap',
  );
  assert.equal(
    reconnectDelayMs(0, () => 0.5),
    1000,
    'attempt numbers start at 1',
  );
});

test('history: Up walks back, Down returns to the kept draft', () => {
  const h = new LineHistory(['north', 'look']);
  assert.equal(h.up('draft'), 'look');
  assert.equal(h.up('look'), 'north');
  assert.equal(h.up('north'), undefined, 'stops at the oldest');
  assert.equal(h.down(), 'look');
  assert.equal(h.down(), 'draft');
  assert.equal(h.down(), undefined);
});

test('history skips blanks and immediate repeats, caps its size', () => {
  const h = new LineHistory();
  for (const l of ['a', 'a', '  ', '', 'b', 'a']) h.add(l);
  assert.deepEqual(h.lines, ['a', 'b', 'a']);
  for (let i = 0; i < HistoryLimits.maxEntries + 10; i++) h.add(`cmd ${i}`);
  assert.equal(h.lines.length, HistoryLimits.maxEntries);
  assert.equal(h.lines.at(-1), `cmd ${HistoryLimits.maxEntries + 9}`);
});

test('history persists per host and survives garbage in storage', () => {
  const storage = new MemoryStorage();
  const h = loadHistory(storage, 'dune');
  h.add('score');
  saveHistory(storage, 'dune', h);
  assert.deepEqual(loadHistory(storage, 'dune').lines, ['score']);
  assert.deepEqual(loadHistory(storage, 'other').lines, []);
  storage.setItem('porthole.history.bad', '{"not":"a list"}');
  assert.deepEqual(loadHistory(storage, 'bad').lines, []);
  storage.setItem('porthole.history.mixed', '["ok", 5, null, "fine"]');
  assert.deepEqual(loadHistory(storage, 'mixed').lines, ['ok', 'fine']);
});

test('settings: defaults, clamping and unknown values fall back', () => {
  assert.deepEqual(normalizeSettings(undefined), DEFAULT_SETTINGS);
  const s = normalizeSettings({ fontSize: 400, theme: 'neon', scrollback: -5, keepLine: 'yes' });
  assert.equal(s.fontSize, 40);
  assert.equal(s.theme, DEFAULT_SETTINGS.theme);
  assert.equal(s.scrollback, 100);
  assert.equal(s.keepLine, DEFAULT_SETTINGS.keepLine);
  const storage = new MemoryStorage();
  saveSettings(storage, { ...DEFAULT_SETTINGS, theme: 'contrast', screenReader: true });
  assert.equal(loadSettings(storage).theme, 'contrast');
  assert.equal(loadSettings(storage).screenReader, true);
  storage.setItem('porthole.settings', '{broken');
  assert.deepEqual(loadSettings(storage), DEFAULT_SETTINGS);
  saveInputMode(storage, 'dune', 'line');
  assert.equal(loadInputMode(storage, 'dune'), 'line');
  assert.equal(loadInputMode(storage, 'bbs'), undefined);
});

test('settings: a narrow screen starts with a smaller font, until the user picks one', () => {
  const storage = new MemoryStorage();
  assert.equal(loadSettings(storage, true).fontSize, 12);
  assert.equal(loadSettings(storage, false).fontSize, DEFAULT_SETTINGS.fontSize);
  saveSettings(storage, { ...DEFAULT_SETTINGS, fontSize: 17 });
  assert.equal(loadSettings(storage, true).fontSize, 17);
});

test('settings survive a storage that throws (sandboxed iframes)', () => {
  const hostile = {
    getItem(): string | null {
      throw new Error('denied');
    },
    setItem(): void {
      throw new Error('denied');
    },
    removeItem(): void {},
  };
  assert.deepEqual(loadSettings(hostile), DEFAULT_SETTINGS);
  assert.doesNotThrow(() => saveSettings(hostile, DEFAULT_SETTINGS));
});

const host = (id: string, name: string, extra: Partial<HostInfo> = {}): HostInfo => ({
  id,
  name,
  description: undefined,
  tags: [],
  protocol: 'telnet',
  input: 'line',
  address: undefined,
  players: undefined,
  ...extra,
});

test('picker: filtering matches every word across name, id, description and tags', () => {
  const hosts = [
    host('dune', 'DuneMUD', { description: 'The classic, since 1992', tags: ['mud', 'pvp'] }),
    host('bbs', 'Old Town BBS', { tags: ['bbs', 'ansi'] }),
    host('shell', 'Lab shell'),
  ];
  assert.deepEqual(
    filterHosts(hosts, 'mud').map((h) => h.id),
    ['dune'],
  );
  assert.deepEqual(
    filterHosts(hosts, 'CLASSIC pvp').map((h) => h.id),
    ['dune'],
  );
  assert.deepEqual(
    filterHosts(hosts, 'town ansi').map((h) => h.id),
    ['bbs'],
  );
  assert.deepEqual(filterHosts(hosts, 'nothing'), []);
  assert.equal(filterHosts(hosts, '   ').length, 3);
});

test('picker: the most recently used hosts come first, the rest keep the server order', () => {
  const hosts = [host('a', 'A'), host('b', 'B'), host('c', 'C'), host('d', 'D')];
  const storage = new MemoryStorage();
  rememberHost(storage, 'c');
  rememberHost(storage, 'b');
  rememberHost(storage, 'c');
  assert.deepEqual(loadRecent(storage), ['c', 'b']);
  assert.deepEqual(
    orderHosts(hosts, loadRecent(storage)).map((h) => h.id),
    ['c', 'b', 'a', 'd'],
  );
});

test('picker: /api/hosts entries are validated; bad ones are dropped', () => {
  const hosts = parseHostList({
    hosts: [
      { id: 'ok', name: 'Fine', tags: ['x', 7], input: 'line', mssp: { players: 12 } },
      { id: '../etc', name: 'Bad id' },
      { id: 'noname' },
      'junk',
      { id: 'xss', name: '"><svg onload=alert(1)>' },
    ],
  });
  assert.deepEqual(
    hosts.map((h) => h.id),
    ['ok', 'xss'],
  );
  assert.deepEqual(hosts[0]?.tags, ['x']);
  assert.equal(hosts[0]?.players, 12);
  assert.equal(
    hosts[1]?.name,
    '"><svg onload=alert(1)>',
    'kept as text; rendered with textContent',
  );
  assert.deepEqual(parseHostList({ hosts: 'nope' }), []);
});

test('routing: ?host=, /h/ID and embed; invalid ids are not deep links', () => {
  assert.deepEqual(parseRoute('/', '?host=dune'), { hostId: 'dune', embed: false });
  assert.deepEqual(parseRoute('/h/dune', ''), { hostId: 'dune', embed: false });
  assert.deepEqual(parseRoute('/h/dune/', '?embed=1'), { hostId: 'dune', embed: true });
  assert.deepEqual(parseRoute('/', '?host=__proto__'), { hostId: undefined, embed: false });
  assert.deepEqual(parseRoute('/', '?host=..%2Fx'), { hostId: undefined, embed: false });
  assert.deepEqual(parseRoute('/h/%E0%A4%A', ''), { hostId: undefined, embed: false });
  assert.equal(routeUrl('dune', true), './?host=dune&embed=1');
  assert.equal(routeUrl(undefined, false), './');
});

test('key bar: arrows honour application cursor mode and modifiers', () => {
  const none = { ctrl: false, alt: false };
  assert.equal(keySequence('ArrowUp', false, none), '\x1b[A');
  assert.equal(keySequence('ArrowUp', true, none), '\x1bOA');
  assert.equal(keySequence('ArrowLeft', false, { ctrl: true, alt: false }), '\x1b[1;5D');
  assert.equal(keySequence('PageDown', false, none), '\x1b[6~');
  assert.equal(keySequence('Escape', false, none), '\x1b');
  assert.equal(keySequence('Tab', false, { ctrl: false, alt: true }), '\x1b\t');
  assert.equal(applyModifiers('c', { ctrl: true, alt: false }), '\x03');
  assert.equal(applyModifiers('[', { ctrl: true, alt: false }), '\x1b');
  assert.equal(applyModifiers('x', { ctrl: false, alt: true }), '\x1bx');
  assert.equal(applyModifiers('hello', { ctrl: true, alt: false }), 'hello', 'only single keys');
});

test('links: only absolute http(s) without credentials may be opened', () => {
  assert.equal(safeLinkUrl('https://example.org/a b'), 'https://example.org/a%20b');
  assert.equal(safeLinkUrl('http://example.org'), 'http://example.org/');
  for (const bad of [
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'file:///etc/passwd',
    'vbscript:x',
    '//evil.example',
    '/relative',
    'https://bank.example@evil.example/',
    '',
  ]) {
    assert.equal(safeLinkUrl(bad), undefined, bad);
  }
});
