/** The configs shipped under deploy/ stay valid as the schema evolves. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadConfigFile, resolveConfig } from '../server/config/config.ts';

const at = (p: string): string => new URL(`../${p}`, import.meta.url).pathname;

test('the container image config is valid', () => {
  const c = loadConfigFile(at('deploy/container/porthole.yaml'));
  assert.equal(c.listen.host, '0.0.0.0');
  assert.equal(c.listen.allowPlaintext, true);
});

test('the README full example is a valid config', () => {
  const readme = readFileSync(at('README.md'), 'utf8');
  const block = /## Configuration[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block !== undefined, 'README has a yaml example under Configuration');
  const c = resolveConfig(parseYaml(block));
  assert.ok(c.hosts.length >= 3);
});
