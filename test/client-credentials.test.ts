import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureToken, readToken } from '../client/credentials.ts';

function memory(): { getItem(k: string): string | null; setItem(k: string, v: string): void } {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => m.set(k, v) };
}

test('a ?token= in the page URL is stored for the tab and removed from the address', () => {
  const store = memory();
  const clean = captureToken(
    { href: 'https://play.example.org/?host=mud&token=s3cret&embed=1#x' },
    store,
  );
  assert.equal(clean, '/?host=mud&embed=1#x');
  assert.equal(readToken(store), 's3cret');
});

test('no token in the URL leaves the address and the store alone', () => {
  const store = memory();
  assert.equal(captureToken({ href: 'https://play.example.org/h/mud' }, store), undefined);
  assert.equal(readToken(store), undefined);
});
