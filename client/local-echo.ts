/**
 * Local echo for raw mode when the host does not echo (issue 11): what the terminal shows for
 * keys it sends. Printable text as typed, Enter as a new line, Backspace rubs out one cell;
 * escape sequences (arrows, function keys) and other controls show nothing, as on a real
 * terminal in cooked mode. DOM-free.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences.
const ESCAPE_RE = /\x1b(\[[\d;?]*[ -/]*[@-~]|O.|[^[O])?/g;

export function localEchoText(data: string): string {
  let out = '';
  for (const ch of data.replace(ESCAPE_RE, '').replace(/\r\n/g, '\r')) {
    if (ch === '\r' || ch === '\n') out += '\r\n';
    else if (ch === '\x7f' || ch === '\b') out += '\b \b';
    else if (ch === '\t' || ch >= ' ') out += ch;
  }
  return out;
}
