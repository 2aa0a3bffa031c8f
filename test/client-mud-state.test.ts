/**
 * Panel state from GMCP and MSDP (DOM-free): tbaMUD/KaVir MSDP variables and tables, MTH and
 * IRE-style GMCP, partial updates keep the other half of a gauge, hostile values are cleaned.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  applyGmcp,
  applyMsdp,
  emptyMudState,
  fraction,
  reportRequest,
} from '../client/mud/mud-state.ts';

test('MSDP: values and maxima as strings, partial REPORT updates keep the maximum, ROOM tables', () => {
  const s = emptyMudState();
  assert.ok(applyMsdp(s, { HEALTH: '120', HEALTH_MAX: '120', MANA: '80', MANA_MAX: '80' }));
  assert.ok(applyMsdp(s, { HEALTH: '70' }));
  assert.deepEqual(s.health, { value: 70, max: 120 });
  assert.equal(fraction(s.health ?? { value: 0, max: 1 }), 70 / 120);
  applyMsdp(s, {
    ROOM: {
      VNUM: '3001',
      NAME: 'Temple Square',
      AREA: 'Midgaard',
      EXITS: { n: '3002', e: '3003' },
    },
  });
  assert.deepEqual(s.room, {
    name: 'Temple Square',
    area: 'Midgaard',
    exits: ['n', 'e'],
    id: '3001',
  });
  applyMsdp(s, { ROOM_NAME: 'Market', ROOM_EXITS: { s: '3001' } });
  assert.deepEqual(s.room, { name: 'Market', area: 'Midgaard', exits: ['s'], id: '3001' });
  applyMsdp(s, { CHARACTER_NAME: 'Aria', LEVEL: '12' });
  assert.deepEqual(
    [...s.status],
    [
      ['Name', 'Aria'],
      ['Level', '12'],
    ],
  );
  assert.equal(applyMsdp(s, { UNRELATED: 'x' }), false);
});

test('GMCP: Char.Vitals in IRE and MTH spellings, numbers or strings; Room.Info exits', () => {
  const s = emptyMudState();
  applyGmcp(s, 'Char.Vitals', { hp: '50', maxhp: '100', mp: 10, maxmp: 40, mv: 7, maxmv: 9 });
  assert.deepEqual(s.health, { value: 50, max: 100 });
  assert.deepEqual(s.mana, { value: 10, max: 40 });
  assert.deepEqual(s.movement, { value: 7, max: 9 });
  applyGmcp(s, 'char.vitals', { HP: 60 });
  assert.deepEqual(s.health, { value: 60, max: 100 });
  applyGmcp(s, 'Room.Info', { num: 12, name: 'Hall', area: 'Keep', exits: { north: 13, up: 14 } });
  assert.deepEqual(s.room, { name: 'Hall', area: 'Keep', exits: ['north', 'up'], id: '12' });
  assert.equal(applyGmcp(s, 'Comm.Channel.Text', { text: 'hi' }), false);
});

test('hostile values: control characters stripped, text capped, non-numbers ignored, exits bounded', () => {
  const s = emptyMudState();
  applyGmcp(s, 'Room.Info', {
    name: `\x1b]0;evil\x07<img src=x onerror=alert(1)>${'x'.repeat(500)}`,
    exits: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`e${i}`, i])),
  });
  assert.ok(![...(s.room?.name ?? '')].some((c) => c < ' '));
  assert.ok((s.room?.name.length ?? 0) <= 80);
  assert.equal(s.room?.exits.length, 16);
  applyGmcp(s, 'Char.Vitals', { hp: 'lots', maxhp: Number.POSITIVE_INFINITY });
  assert.equal(s.health, undefined);
  applyMsdp(s, { HEALTH: '5', HEALTH_MAX: '0' });
  assert.deepEqual(s.health, { value: 5, max: 5 }, 'a zero maximum never divides by zero');
});

test('REPORT asks only for what the host can report and the panels use', () => {
  assert.deepEqual(reportRequest(['HEALTH', 'SOMETHING', 'ROOM', 'HEALTH_MAX']), [
    'HEALTH',
    'HEALTH_MAX',
    'ROOM',
  ]);
  assert.deepEqual(reportRequest('MANA'), ['MANA']);
});

test('property: any GMCP/MSDP input leaves gauges finite with 0 <= fraction <= 1', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.jsonValue())), (msgs) => {
      const s = emptyMudState();
      for (const [gmcp, v] of msgs) {
        if (gmcp) applyGmcp(s, 'Char.Vitals', v);
        else if (typeof v === 'object' && v !== null && !Array.isArray(v))
          applyMsdp(s, v as Record<string, unknown>);
      }
      for (const g of [s.health, s.mana, s.movement]) {
        if (g === undefined) continue;
        assert.ok(Number.isFinite(g.value) && Number.isFinite(g.max) && g.max > 0);
        const f = fraction(g);
        assert.ok(f >= 0 && f <= 1);
      }
    }),
  );
});
