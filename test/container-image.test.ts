/**
 * The container image's contract, without a container runtime: the Dockerfile's base is a
 * supported Node line, its HEALTHCHECK runs `porthole --healthcheck` with the same config the
 * server reads (so it follows the configured port), and that health check, run for real,
 * succeeds against a live server and fails when the port or the server is wrong.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfigFile } from '../server/config/config.ts';
import { PACKAGE_ROOT } from '../server/paths.ts';
import { waitFor } from './helpers/proxy.ts';
import { makeCert } from './helpers/tls-cert.ts';

const MAIN = ['--import', 'tsx', join(PACKAGE_ROOT, 'server', 'main.ts')];
const dockerfile = readFileSync(join(PACKAGE_ROOT, 'Dockerfile'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'porthole-image-'));

test('Dockerfile: a supported Node LTS line; HEALTHCHECK and server read the same config', () => {
  const base = /^ARG NODE_IMAGE=node:(\d+)-([a-z]+)-slim(@sha256:[0-9a-f]{64})?$/m.exec(dockerfile);
  assert.ok(base !== null, 'the base image is an official node slim image');
  const major = Number(base[1]);
  // Even majors are the LTS lines; 20 reached its end of life in April 2026.
  assert.ok(major >= 22 && major % 2 === 0, `node ${major} is a supported LTS line`);
  // Pinned by digest, or a comment saying honestly why not and how to pin.
  if (base[3] === undefined) assert.match(dockerfile, /docker buildx imagetools inspect node:/);
  assert.equal((dockerfile.match(/^FROM \$\{NODE_IMAGE\}/gm) ?? []).length, 2, 'both stages');
  assert.match(
    dockerfile,
    /HEALTHCHECK [\s\S]*CMD \["node", "build\/server\/main\.js", "--healthcheck"\]/,
  );
  const configEnv = /PORTHOLE_CONFIG=(\S+)/.exec(dockerfile)?.[1];
  const copied = /^COPY deploy\/container\/porthole\.yaml (\S+)$/m.exec(dockerfile)?.[1];
  assert.equal(configEnv, copied, 'PORTHOLE_CONFIG is the config baked in');
  assert.doesNotMatch(dockerfile, /^CMD .*--config/m, 'no --config only the server would see');
  const config = loadConfigFile(join(PACKAGE_ROOT, 'deploy', 'container', 'porthole.yaml'));
  assert.equal(/^EXPOSE (\d+)$/m.exec(dockerfile)?.[1], String(config.listen.port));
  assert.match(dockerfile, /^USER node$/m);
});

async function serve(config: string): Promise<{ port: number; stop: () => void }> {
  const child = spawn(process.execPath, [...MAIN], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PORTHOLE_CONFIG: config },
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  await waitFor(() => /running at https?:\/\/127\.0\.0\.1:\d+/.test(err), 'listening', 20_000);
  const port = Number(/running at https?:\/\/127\.0\.0\.1:(\d+)/.exec(err)?.[1]);
  return { port, stop: () => child.kill('SIGKILL') };
}

function healthcheck(env: Record<string, string>): number | null {
  return spawnSync(process.execPath, [...MAIN, '--healthcheck'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  }).status;
}

test('--healthcheck follows the configured port and TLS: 0 against the live server, 1 otherwise', async (t) => {
  // The image's config with the port the test can use: port 0 cannot be probed, so find one.
  const first = join(dir, 'first.yaml');
  writeFileSync(
    first,
    'listen: { host: 127.0.0.1, port: 0 }\nhosts: [{ id: demo, name: Demo, target: "builtin:demo" }]\n',
  );
  const probe = await serve(first);
  probe.stop();
  const plain = join(dir, 'plain.yaml');
  writeFileSync(
    plain,
    `listen: { host: 127.0.0.1, port: ${probe.port} }\nhosts: [{ id: demo, name: Demo, target: "builtin:demo" }]\n`,
  );
  const server = await serve(plain);
  t.after(() => server.stop());
  assert.equal(healthcheck({ PORTHOLE_CONFIG: plain }), 0);
  assert.equal(healthcheck({ PORTHOLE_CONFIG: plain, PORTHOLE_PORT: '1' }), 1, 'another port');
  server.stop();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(healthcheck({ PORTHOLE_CONFIG: plain }), 1, 'the server is gone');

  const cert = makeCert(dir, 'image');
  const tls = join(dir, 'tls.yaml');
  writeFileSync(
    tls,
    `listen: { host: 127.0.0.1, port: ${probe.port} }\ntls: { cert: ${cert.cert}, key: ${cert.key} }\nhosts: [{ id: demo, name: Demo, target: "builtin:demo" }]\n`,
  );
  const secure = await serve(tls);
  t.after(() => secure.stop());
  assert.equal(healthcheck({ PORTHOLE_CONFIG: tls }), 0, 'https when the config has tls');
  assert.equal(healthcheck({ PORTHOLE_CONFIG: plain }), 1, 'plain http to a TLS port fails');
});
