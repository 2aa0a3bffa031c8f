/**
 * deploy/kubernetes/porthole.yaml: the pieces that must agree, checked the way the cluster
 * would read them. The ConfigMap's config validates (with the Secret's value where the pod
 * mounts it); container ports, probes, Services and the Ingress name the same ports; the
 * PodDisruptionBudget, Services and NetworkPolicy select the Deployment's pods; the drain
 * fits in the grace period; egress is DNS plus the configured backend only.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { type Config, resolveConfig } from '../server/config/config.ts';
import { parseTarget } from '../server/config/target-url.ts';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects, checked field by field below.
type K8s = any;

const text = readFileSync(new URL('../deploy/kubernetes/porthole.yaml', import.meta.url), 'utf8');
const docs: K8s[] = parseAllDocuments(text).map((d) => d.toJS());
const byKind = (kind: string, name?: string): K8s => {
  const found = docs.filter(
    (d) => d?.kind === kind && (name === undefined || d.metadata.name === name),
  );
  assert.equal(found.length, 1, `one ${kind}${name === undefined ? '' : ` ${name}`}`);
  return found[0];
};
const deployment = byKind('Deployment', 'porthole');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const podLabels = deployment.spec.template.metadata.labels;
const portNamed = (name: string): number =>
  container.ports.find((p: K8s) => p.name === name)?.containerPort;

/** The ConfigMap's config, with every Secret-backed file path pointed at the Secret's value. */
function loadConfig(): Readonly<Config> {
  const map = byKind('ConfigMap');
  const input = parseYaml(map.data['porthole.yaml']);
  const mounts: K8s[] = container.volumeMounts;
  const dir = mkdtempSync(join(tmpdir(), 'porthole-k8s-'));
  for (const token of input.auth.tokens) {
    const path: string = token.tokenFile;
    const mount = mounts.find((m) => path.startsWith(`${m.mountPath}/`));
    assert.ok(mount !== undefined, `${path} is inside a mounted volume`);
    const volume = pod.volumes.find((v: K8s) => v.name === mount.name);
    assert.ok(volume?.secret !== undefined, `${path} comes from a Secret volume`);
    const secret = byKind('Secret', volume.secret.secretName);
    const key = path.slice(mount.mountPath.length + 1);
    const value = secret.stringData?.[key];
    assert.equal(typeof value, 'string', `Secret ${secret.metadata.name} has the key ${key}`);
    const copy = join(dir, key);
    writeFileSync(copy, value);
    token.tokenFile = copy;
  }
  // The pod's own address, as the downward API gives it (checked in the store test).
  return resolveConfig(input, { POD_IP: '10.0.0.7' });
}

test('the ConfigMap config validates, with auth from the Secret the pod mounts', () => {
  const config = loadConfig();
  assert.equal(config.publicUrl, 'https://play.example.org');
  assert.equal(config.auth.mode, 'token');
  assert.equal(
    config.auth.mode === 'token' && config.auth.tokens[0]?.token,
    byKind('Secret').stringData['players-token'],
  );
  const configMount = container.volumeMounts.find((m: K8s) => m.name === 'config');
  const env = Object.fromEntries(container.env.map((e: K8s) => [e.name, e.value]));
  assert.equal(env.PORTHOLE_CONFIG, configMount.mountPath, 'the server reads the mounted file');
  assert.equal(configMount.subPath, 'porthole.yaml');
});

test('ports and probes agree: container, config, probes, Services, Ingress', () => {
  const config = loadConfig();
  assert.equal(portNamed('http'), config.listen.port);
  assert.equal(portNamed('metrics'), config.metrics.listen?.port, 'metrics on their own listener');
  assert.equal(config.metrics.listen?.host, '0.0.0.0', 'scraped by pod address');
  assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'http' });
  assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'http' });
  const web = byKind('Service', 'porthole');
  assert.deepEqual(web.spec.selector, podLabels);
  assert.ok(
    web.spec.ports.every((p: K8s) => p.targetPort === 'http'),
    'no metrics on the web Service',
  );
  const metrics = byKind('Service', 'porthole-metrics');
  assert.deepEqual(metrics.spec.selector, podLabels);
  assert.equal(metrics.spec.ports[0].targetPort, 'metrics');
  const ingress = byKind('Ingress');
  // Resume: a browser must come back to the pod holding its session (cookie affinity).
  assert.equal(ingress.metadata.annotations['nginx.ingress.kubernetes.io/affinity'], 'cookie');
  assert.equal(
    ingress.metadata.annotations['nginx.ingress.kubernetes.io/affinity-mode'],
    'persistent',
  );
  const backends = ingress.spec.rules.flatMap((r: K8s) =>
    r.http.paths.map((p: K8s) => p.backend.service),
  );
  assert.deepEqual(
    backends,
    [{ name: 'porthole', port: { name: 'http' } }],
    'the Ingress never routes metrics',
  );
  assert.deepEqual(
    ingress.spec.rules.map((r: K8s) => r.host),
    [new URL(config.publicUrl ?? '').hostname],
  );
});

test('draining: PodDisruptionBudget, preStop delay, grace period longer than preStop + drain', () => {
  const config = loadConfig();
  const pdb = byKind('PodDisruptionBudget');
  assert.deepEqual(pdb.spec.selector.matchLabels, podLabels);
  assert.ok(pdb.spec.minAvailable >= 1 && pdb.spec.minAvailable < deployment.spec.replicas);
  const preStop = container.lifecycle.preStop.exec.command;
  assert.equal(preStop[0], 'sleep');
  const delay = Number(preStop[1]);
  assert.ok(delay >= 3, 'long enough for the endpoint to leave the Service');
  // main.ts exits by 20 s whatever happens; drainGrace is the polite part of it.
  const drain = Math.max(config.limits.drainGrace / 1000, 20);
  assert.ok(
    pod.terminationGracePeriodSeconds > delay + drain,
    'SIGKILL never cuts the drain short',
  );
  assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
});

test('NetworkPolicy: in from the ingress and Prometheus on their ports; out to DNS and the configured backend only', () => {
  const config = loadConfig();
  const policy = byKind('NetworkPolicy', 'porthole');
  assert.deepEqual(policy.spec.podSelector.matchLabels, podLabels);
  assert.deepEqual(policy.spec.policyTypes, ['Ingress', 'Egress']);
  const inPorts = policy.spec.ingress.flatMap((r: K8s) => r.ports.map((p: K8s) => p.port)).sort();
  assert.deepEqual(inPorts, [portNamed('http'), portNamed('metrics')].sort());
  const egress: K8s[] = policy.spec.egress;
  const dns = egress.filter((r) => r.ports.every((p: K8s) => p.port === 53));
  assert.equal(dns.length, 1);
  const others = egress.filter((r) => !dns.includes(r));
  assert.ok(
    others.every((r) => r.to !== undefined && r.to.length > 0),
    'no rule open to everywhere',
  );
  // Every configured backend has a rule for its port, in the namespace its name points at.
  for (const host of config.hosts) {
    const target = parseTarget(host.target);
    const namespace = /^[^.]+\.([^.]+)\.svc(\.|$)/.exec(target.host)?.[1];
    const rule = others.find(
      (r) =>
        r.ports.some((p: K8s) => p.port === target.port && p.protocol === 'TCP') &&
        r.to.some(
          (t: K8s) =>
            t.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === namespace,
        ),
    );
    assert.ok(rule !== undefined, `egress to ${host.id} (${target.host}:${target.port})`);
  }
  const allowedPorts = others.flatMap((r) => r.ports.map((p: K8s) => p.port)).sort();
  const store = new URL(config.store?.url ?? '');
  assert.deepEqual(
    allowedPorts,
    [
      ...config.hosts.map((h) => parseTarget(h.target).port),
      Number(store.port),
      portNamed('http'),
    ].sort(),
    'nothing beyond the backends, the store and the other replicas',
  );
});

test('the pod runs unprivileged with a read-only root file system', () => {
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
  assert.equal(pod.automountServiceAccountToken, false);
});

test('the store: the config reaches the store Service, each pod advertises its own address, relays may pass', () => {
  const config = loadConfig();
  const url = new URL(config.store?.url ?? '');
  const service = byKind('Service', url.hostname);
  const store = byKind('Deployment', 'porthole-store');
  const storePod = store.spec.template;
  assert.deepEqual(service.spec.selector, storePod.metadata.labels);
  const storePort = storePod.spec.containers[0].ports.find(
    (p: K8s) => p.name === service.spec.ports[0].targetPort,
  );
  assert.equal(service.spec.ports[0].port, Number(url.port));
  assert.equal(storePort.containerPort, Number(url.port));
  // store.advertiseEnv names a variable the downward API fills with the pod's address.
  const input = parseYaml(byKind('ConfigMap').data['porthole.yaml']);
  const variable = container.env.find((e: K8s) => e.name === input.store.advertiseEnv);
  assert.deepEqual(variable?.valueFrom, { fieldRef: { fieldPath: 'status.podIP' } });
  assert.equal(config.store?.advertise, '10.0.0.7', 'the port is the listening one');
  assert.match(config.instanceId ?? '', /^i[0-9a-f]{12}$/, 'no per-pod instanceId needed');
  // Only Porthole's pods reach the store; Porthole's pods reach each other's web port.
  const storePolicy = byKind('NetworkPolicy', 'porthole-store');
  assert.deepEqual(storePolicy.spec.podSelector.matchLabels, storePod.metadata.labels);
  assert.deepEqual(storePolicy.spec.ingress, [
    {
      from: [{ podSelector: { matchLabels: podLabels } }],
      ports: [{ protocol: 'TCP', port: Number(url.port) }],
    },
  ]);
  assert.deepEqual(storePolicy.spec.egress, []);
  const policy = byKind('NetworkPolicy', 'porthole');
  const reaches = (labels: K8s, port: number): boolean =>
    policy.spec.egress.some(
      (r: K8s) =>
        r.to?.some(
          (t: K8s) => JSON.stringify(t.podSelector?.matchLabels) === JSON.stringify(labels),
        ) && r.ports.some((p: K8s) => p.port === port),
    );
  assert.ok(reaches(storePod.metadata.labels, Number(url.port)), 'egress to the store');
  assert.ok(reaches(podLabels, portNamed('http')), 'egress to the other replicas');
  const admitsPeers = policy.spec.ingress.some(
    (r: K8s) =>
      r.from.some(
        (f: K8s) => JSON.stringify(f.podSelector?.matchLabels) === JSON.stringify(podLabels),
      ) && r.ports.some((p: K8s) => p.port === portNamed('http')),
  );
  assert.ok(admitsPeers, 'ingress from the other replicas on the web port');
  assert.equal(storePod.spec.containers[0].securityContext.readOnlyRootFilesystem, true);
});
