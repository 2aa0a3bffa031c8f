/**
 * scripts/test-deps.sh, the first step of `npm test`: it finds missing Debian packages, prints
 * the exact install command when not root, and as root installs them with apt-get while a
 * temporary policy-rc.d keeps package scripts from starting daemons. The real script runs
 * with stand-ins for dpkg-query, id and apt-get first on its PATH (the real system is not
 * touched).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const SCRIPT = new URL('../scripts/test-deps.sh', import.meta.url).pathname;

type Fake = { uid: number; missing: string[]; installFixes?: boolean; policyExists?: boolean };

/** A bin folder with dpkg-query, id and apt-get that log what they were asked. */
function fakeSystem(f: Fake): { dir: string; env: NodeJS.ProcessEnv; log: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-deps-'));
  const bin = join(dir, 'bin');
  const logFile = join(dir, 'log');
  const policy = join(dir, 'policy-rc.d');
  writeFileSync(logFile, '');
  const script = (name: string, body: string): void => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  spawnSync('mkdir', [bin]);
  // dpkg-query -W -f=FORMAT PACKAGE: "installed" unless listed as missing (and not yet fixed).
  script(
    'dpkg-query',
    `for p; do :; done
case " ${f.missing.join(' ')} " in
  *" $p "*) [ -e "${dir}/fixed" ] && printf installed || printf not-installed ;;
  *) printf installed ;;
esac`,
  );
  script('id', `echo ${f.uid}`);
  script(
    'apt-get',
    `echo "apt-get $*" >> "${logFile}"
if [ "$1" != update ]; then
  [ -x "${policy}" ] && "${policy}"; echo "policy-rc.d exit $?" >> "${logFile}"
  ${f.installFixes === false ? '' : `touch "${dir}/fixed"`}
fi`,
  );
  if (f.policyExists === true) writeFileSync(policy, '#!/bin/sh\nexit 0\n# site policy\n');
  const env = {
    ...process.env,
    PATH: `${bin}:/usr/bin:/bin`,
    PORTHOLE_POLICY_RC_D: policy,
  };
  const log = (): string[] => readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
  return { dir, env, log };
}

function run(env: NodeJS.ProcessEnv): { status: number | null; stderr: string } {
  const r = spawnSync('bash', [SCRIPT], { env, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: r.stderr };
}

test('not root with packages missing: stops at once and prints the exact install command', () => {
  const sys = fakeSystem({ uid: 1000, missing: ['redis-server', 'ngircd'] });
  const r = run(sys.env);
  assert.equal(r.status, 1);
  assert.ok(
    r.stderr.includes(
      'sudo apt-get update && sudo apt-get install -y --no-install-recommends redis-server ngircd\n',
    ),
    r.stderr,
  );
  assert.deepEqual(sys.log(), [], 'nothing is installed');
});

test('everything installed: exits 0 quietly and never calls apt-get', () => {
  const sys = fakeSystem({ uid: 0, missing: [] });
  const r = run(sys.env);
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '');
  assert.deepEqual(sys.log(), []);
});

test('root: apt-get update once, then one install without recommends, daemons forbidden', () => {
  const sys = fakeSystem({ uid: 0, missing: ['nginx', 'openssh-server'] });
  const r = run(sys.env);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(sys.log(), [
    'apt-get update -qq',
    'apt-get install -y -qq --no-install-recommends nginx openssh-server',
    // invoke-rc.d's "action forbidden": package scripts start no nginx or sshd.
    'policy-rc.d exit 101',
  ]);
  assert.equal(existsSync(join(sys.dir, 'policy-rc.d')), false, 'removed afterwards');
});

test("root: a site's own policy-rc.d is put back after the install", () => {
  const sys = fakeSystem({ uid: 0, missing: ['socat'], policyExists: true });
  const r = run(sys.env);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(sys.log().includes('policy-rc.d exit 101'));
  assert.match(readFileSync(join(sys.dir, 'policy-rc.d'), 'utf8'), /# site policy/);
});

test('root: a package apt-get did not install fails the run, naming it', () => {
  const sys = fakeSystem({ uid: 0, missing: ['haproxy'], installFixes: false });
  const r = run(sys.env);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /still not installed after apt-get: haproxy/);
  assert.equal(existsSync(join(sys.dir, 'policy-rc.d')), false);
});

test('npm test runs the check first, and CI stops no process by name', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.equal(pkg.scripts.pretest, 'bash scripts/test-deps.sh');
  const ci = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8');
  assert.doesNotMatch(ci, /\b(pkill|killall)\b/);
  assert.match(ci, /npm ci[^\n]*\n[\s\S]*npm test/);
});
