/** The configs shipped under deploy/ stay valid as the schema evolves. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { loadConfigFile, resolveConfig } from '../server/config/config.ts';

const at = (p: string): string => new URL(`../${p}`, import.meta.url).pathname;

test('the container image config is valid', () => {
  const c = loadConfigFile(at('deploy/container/porthole.yaml'));
  assert.equal(c.listen.host, '0.0.0.0');
  assert.equal(c.listen.allowPlaintext, true);
});

test('the Kubernetes ConfigMap carries a valid config', () => {
  const docs = parseAllDocuments(readFileSync(at('deploy/kubernetes/porthole.yaml'), 'utf8')).map(
    (d) => d.toJS(),
  );
  const map = docs.find((d) => d?.kind === 'ConfigMap');
  const c = resolveConfig(parseYaml(map.data['porthole.yaml']));
  assert.equal(c.publicUrl, 'https://play.example.org');
  assert.deepEqual(c.trustedProxies, ['10.0.0.0/8']);
  const deployment = docs.find((d) => d?.kind === 'Deployment');
  const probe = deployment.spec.template.spec.containers[0].readinessProbe.httpGet.path;
  assert.equal(probe, '/readyz');
});

test('the README full example is a valid config', () => {
  const readme = readFileSync(at('README.md'), 'utf8');
  const block = /## Configuration[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block !== undefined, 'README has a yaml example under Configuration');
  const c = resolveConfig(parseYaml(block));
  assert.ok(c.hosts.length >= 3);
});
