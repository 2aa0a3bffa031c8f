/**
 * SECURITY.md H5: JWT algorithms follow the key (an RSA `publicKey` used to 401 every
 * RS256 token, silently), a config whose algorithms cannot verify with its key is refused
 * at start naming the key, and tokens must expire (`exp`, or `maxTokenAge` from `iat`).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { ConfigError, resolveConfig } from '../server/config/config.ts';
import { withProxy } from './helpers/proxy.ts';
import { httpRequest } from './helpers/security.ts';

const HOSTS = [{ id: 'h', name: 'H', target: 'tcp://127.0.0.1:7' }];

function pair(type: 'rsa' | 'ec' | 'ed25519'): { pem: string; key: KeyObject } {
  const { publicKey, privateKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return { pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), key: privateKey };
}

async function sign(
  key: KeyObject | Uint8Array,
  alg: string,
  claims: { exp?: number | string; iat?: number } = { exp: '1h' },
): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg }).setSubject('alice');
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
  return jwt.sign(key);
}

function configError(auth: Record<string, unknown>): string {
  try {
    resolveConfig({ auth, hosts: HOSTS });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail('the config was accepted');
}

test('H5: algorithms are derived from the public key: RSA verifies RS256 and PS256, EC P-256 ES256, Ed25519 EdDSA', async (t) => {
  for (const [type, algs] of [
    ['rsa', ['RS256', 'PS256']],
    ['ec', ['ES256']],
    ['ed25519', ['EdDSA']],
  ] as const) {
    const { pem, key } = pair(type);
    const proxy = await withProxy(t, { auth: { mode: 'jwt', publicKey: pem } });
    for (const alg of algs) {
      const res = await httpRequest(proxy.port, {
        path: '/api/hosts',
        headers: { Authorization: `Bearer ${await sign(key, alg)}` },
      });
      assert.equal(res.status, 200, `${type} key, ${alg} token`);
    }
  }
});

test('H5: a config whose algorithms cannot verify with its key is refused, naming the key', () => {
  const ec = pair('ec').pem;
  const msg = configError({ mode: 'jwt', publicKey: ec, algorithms: ['ES256', 'RS256'] });
  assert.match(
    msg,
    /auth\.algorithms\[1\]: RS256 cannot verify with auth\.publicKey \(an EC prime256v1 key\); use ES256/,
  );
  assert.doesNotMatch(msg, /algorithms\[0\]/);
  assert.match(
    configError({ mode: 'jwt', secret: 'x'.repeat(32), algorithms: ['RS256'] }),
    /auth\.algorithms\[0\]: RS256 cannot verify with auth\.secret \(an HMAC secret\)/,
  );
  const bad = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n';
  assert.match(
    configError({ mode: 'jwt', publicKey: bad }),
    /auth\.publicKey: is not a usable public key/,
  );
  assert.match(
    configError({ mode: 'jwt', secret: 'x'.repeat(32), publicKey: ec }),
    /exactly one of secret, publicKey, jwks or jwksUrl/,
  );
});

test('H5: a token without exp is refused unless maxTokenAge bounds it from iat', async (t) => {
  const secret = 'a-very-long-jwt-secret-of-at-least-32-chars';
  const key = new TextEncoder().encode(secret);
  const now = Math.floor(Date.now() / 1000);
  const status = async (port: number, token: string) =>
    (
      await httpRequest(port, {
        path: '/api/hosts',
        headers: { Authorization: `Bearer ${token}` },
      })
    ).status;
  const strict = await withProxy(t, { auth: { mode: 'jwt', secret } });
  assert.equal(await status(strict.port, await sign(key, 'HS256', { iat: now })), 401);
  assert.equal(await status(strict.port, await sign(key, 'HS256')), 200);
  const aged = await withProxy(t, { auth: { mode: 'jwt', secret, maxTokenAge: '1h' } });
  assert.equal(await status(aged.port, await sign(key, 'HS256', { iat: now })), 200);
  assert.equal(await status(aged.port, await sign(key, 'HS256', { iat: now - 7200 })), 401);
  assert.equal(await status(aged.port, await sign(key, 'HS256', {})), 401, 'neither exp nor iat');
});
