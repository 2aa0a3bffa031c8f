/** `&sr=1` on the WebSocket URL reaches the telnet engine: MTTS announces a screen reader. */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { startBackend } from './helpers/backends.ts';
import { openSession, waitFor, withProxy } from './helpers/proxy.ts';

const IAC = 255;
const SB = 250;
const SE = 240;
const DO = 253;
const TTYPE = 24;
const SEND = 1;

async function mttsBits(t: TestContext, screenReader: boolean): Promise<number> {
  const answers: string[] = [];
  const backend = startBackend((s) => {
    s.write(Buffer.from([IAC, DO, TTYPE]));
    let buffered = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      // Collect each IAC SB TTYPE IS <name> IAC SE and ask again, three times (the MTTS cycle).
      for (;;) {
        const start = buffered.indexOf(Buffer.from([IAC, SB, TTYPE, 0]));
        const end = buffered.indexOf(Buffer.from([IAC, SE]), start + 4);
        if (start < 0 || end < 0) break;
        answers.push(buffered.subarray(start + 4, end).toString('latin1'));
        buffered = buffered.subarray(end + 2);
        if (answers.length < 3) s.write(Buffer.from([IAC, SB, TTYPE, SEND, IAC, SE]));
      }
    });
    s.write(Buffer.from([IAC, SB, TTYPE, SEND, IAC, SE]));
  });
  const proxy = await withProxy(t, { backend, hosts: [{ id: 'mud', scheme: 'telnet' }] });
  const ws = await openSession(proxy, 'mud', screenReader ? { query: 'sr=1' } : {});
  await waitFor(() => answers.length >= 3, 'three TTYPE answers');
  ws.close();
  const mtts = answers.find((a) => a.startsWith('MTTS '));
  assert.ok(mtts !== undefined, `answers: ${answers.join(', ')}`);
  return Number(mtts.slice(5));
}

test('the MTTS screen-reader bit (64) follows the client setting', async (t) => {
  const without = await mttsBits(t, false);
  const withReader = await mttsBits(t, true);
  assert.equal(without & 64, 0);
  assert.equal(withReader & 64, 64);
  assert.equal(withReader & ~64, without, 'nothing else changes');
});
