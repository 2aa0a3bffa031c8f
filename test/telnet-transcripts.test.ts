/** Golden transcripts: wire bytes in, events out (test/fixtures/telnet). */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTelnetCodec } from '../server/telnet/index.ts';
import { DEFAULT_OPTIONS, parseHeader, runScript } from './helpers/telnet-transcript.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'telnet');
const inputs = readdirSync(FIXTURES).filter((file) => file.endsWith('.input'));

test('there are golden transcripts to check', () => {
  assert.ok(inputs.length >= 8, `only ${inputs.length} fixtures found in ${FIXTURES}`);
});

/** Checklist rows (SECURITY.md) a transcript covers, for the test title. */
const ROWS: Readonly<Record<string, string>> = {
  'latin1.input': 'D3: ',
  'stream.input': 'D4/D5: ',
  'refused.input': 'D6/D7: ',
};

for (const file of inputs) {
  test(`${ROWS[file] ?? ''}telnet transcript: ${file}`, () => {
    const script = readFileSync(join(FIXTURES, file), 'utf8');
    const header = script.split('\n').find((line) => line.startsWith('@'));
    const codec = createTelnetCodec(header === undefined ? DEFAULT_OPTIONS : parseHeader(header));
    const expected = readFileSync(join(FIXTURES, file.replace(/\.input$/, '.txt')), 'utf8');
    assert.equal(runScript(codec, script), expected.trimEnd());
  });
}
