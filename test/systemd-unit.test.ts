/**
 * deploy/systemd/porthole.service against systemd's own tools (Debian's systemd package):
 * `systemd-analyze verify` parses it without a warning, and `systemd-analyze security
 * --offline` rates its sandbox. ExecStart points at a stand-in executable the test creates,
 * because verify checks that the command exists.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const UNIT = readFileSync(new URL('../deploy/systemd/porthole.service', import.meta.url), 'utf8');
const INSTALLED_AT = '/usr/local/bin/porthole';

/** The unit in a temp folder as porthole.service, ExecStart swapped for an executable there. */
function placeUnit(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-systemd-'));
  const bin = join(dir, 'porthole');
  writeFileSync(bin, '#!/bin/sh\n');
  chmodSync(bin, 0o755);
  const unit = join(dir, 'porthole.service');
  writeFileSync(unit, text.replaceAll(INSTALLED_AT, bin));
  return unit;
}

function analyze(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('systemd-analyze', args, { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.error, undefined, 'systemd-analyze is missing: npm test installs systemd');
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Lines systemd-analyze printed about this unit (warnings name the file and line). */
const about = (out: string, unit: string): string[] =>
  out.split('\n').filter((l) => l.includes(unit) || l.includes('porthole.service'));

test('systemd-analyze verify accepts the unit with no warning', () => {
  assert.ok(UNIT.includes(`ExecStart=${INSTALLED_AT}`), 'ExecStart runs the npm bin');
  const unit = placeUnit(UNIT);
  const r = analyze('verify', unit);
  assert.equal(r.status, 0, r.out);
  assert.deepEqual(about(r.out, unit), []);
});

test('verify would catch a typo (the check above can fail)', () => {
  const unit = placeUnit(UNIT.replace('ProtectSystem=strict', 'ProtectSystem=stric'));
  const r = analyze('verify', unit);
  assert.match(about(r.out, unit).join('\n'), /protect system value/i);
});

test('the sandbox: every directive in place, and systemd rates the exposure OK', () => {
  const settings = new Set(UNIT.split('\n').filter((l) => /^[A-Z]\w+=/.test(l)));
  for (const want of [
    'DynamicUser=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'NoNewPrivileges=yes',
    'CapabilityBoundingSet=',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'SystemCallFilter=@system-service',
    'ExecReload=/bin/kill -HUP $MAINPID',
  ]) {
    assert.ok(settings.has(want), `${want} is set`);
  }
  const unit = placeUnit(UNIT);
  const r = analyze('security', '--offline=yes', '--no-pager', unit);
  const level = /Overall exposure level for porthole\.service: ([\d.]+) (\w+)/.exec(r.out);
  assert.ok(level?.[1] !== undefined, r.out);
  // systemd's scale: 0 fully locked down, 10 unprotected; below 2 is what it calls OK.
  assert.ok(Number(level[1]) < 2, `exposure ${level[1]} ${level[2]}`);
  assert.equal(level[2], 'OK');
});
