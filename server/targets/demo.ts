/**
 * The built-in demo host: a small telnet service on a loopback port inside the process, so
 * a fresh install has something to connect to. It negotiates ECHO, SGA, NAWS and TTYPE like
 * a real telnet server, shows colours and UTF-8, echoes typed lines and reports the
 * terminal size and type it was told.
 */
import { createServer, type Server, type Socket } from 'node:net';

const IAC = 255;
const DONT = 254;
const DO = 253;
const WONT = 252;
const WILL = 251;
const SB = 250;
const SE = 240;
const OPT_ECHO = 1;
const OPT_SGA = 3;
const OPT_TTYPE = 24;
const OPT_NAWS = 31;
const MAX_LINE_BYTES = 4096;
const MAX_SB_BYTES = 64;

const ESC = '\x1b[';
const RESET = `${ESC}0m`;

function banner(): string {
  const basic = [...Array(8).keys()].map((i) => `${ESC}${40 + i}m  `).join('') + RESET;
  const bright = [...Array(8).keys()].map((i) => `${ESC}${100 + i}m  `).join('') + RESET;
  const cube = [...Array(24).keys()].map((i) => `${ESC}48;5;${16 + i * 9}m `).join('') + RESET;
  const grad = [...Array(24).keys()]
    .map(
      (i) =>
        `${ESC}48;2;${Math.round((255 * i) / 23)};${80 + i * 4};${255 - Math.round((255 * i) / 23)}m `,
    )
    .join('');
  return [
    '',
    `  ${ESC}1;36m╭──────────────────────────────────────────╮${RESET}`,
    `  ${ESC}1;36m│${RESET}    ${ESC}1mWelcome to the Porthole demo host${RESET}     ${ESC}1;36m│${RESET}`,
    `  ${ESC}1;36m╰──────────────────────────────────────────╯${RESET}`,
    '',
    `  16 colours   ${basic}`,
    `               ${bright}`,
    `  256 colours  ${cube}`,
    `  truecolor    ${grad}${RESET}`,
    `  UTF-8        Grüße · Привет · Γειά σου · ✓ ♥ ★ ░▒▓█ ⚓`,
    `  Styles       ${ESC}1mbold${RESET} ${ESC}3mitalic${RESET} ${ESC}4munderline${RESET} ${ESC}7minverse${RESET}`,
    '',
    '  Type something and press Enter. Commands: help, size, colors, quit.',
    '',
  ].join('\r\n');
}

class DemoConnection {
  #socket: Socket;
  #line: number[] = [];
  #echo: number[] = [];
  #state: 'data' | 'iac' | 'verb' | 'sb' | 'sb-iac' = 'data';
  #verb = 0;
  #sb: number[] = [];
  #lastCr = false;
  #cols = 0;
  #rows = 0;
  #ttype = '';
  #greeted = false;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', () => socket.destroy());
    // Backpressure like any backend: every reply is caused by input, so while the session
    // has not taken what we wrote, we stop reading. A typist whose browser does not read
    // then stalls in the session's own bounded buffers instead of growing ours.
    socket.on('drain', () => socket.resume());
    this.#send(
      Buffer.from([IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA, IAC, DO, OPT_NAWS, IAC, DO, OPT_TTYPE]),
    );
    // Greet after a short pause so that the size negotiated by NAWS can be shown.
    setTimeout(() => this.#greet(), 150).unref();
  }

  #greet(): void {
    if (this.#greeted || this.#socket.destroyed) return;
    this.#greeted = true;
    this.#write(`${banner()}  ${this.#describeTerminal()}\r\n\r\n> `);
  }

  #describeTerminal(): string {
    const size = this.#cols > 0 ? `${this.#cols}×${this.#rows}` : 'unknown (no NAWS)';
    return `Your terminal: ${size}, type ${this.#ttype === '' ? 'unknown' : this.#ttype}.`;
  }

  #write(text: string): void {
    this.#send(text);
  }

  #send(data: string | Buffer): void {
    this.#flushEcho();
    if (this.#socket.destroyed) return;
    if (!this.#socket.write(data)) this.#socket.pause();
  }

  /** Typed bytes are echoed once per read, not one write per byte. */
  #flushEcho(): void {
    if (this.#echo.length === 0) return;
    const bytes = Buffer.from(this.#echo);
    this.#echo = [];
    this.#send(bytes);
  }

  #receive(chunk: Buffer): void {
    this.#receiveBytes(chunk);
    this.#flushEcho();
  }

  #receiveBytes(chunk: Buffer): void {
    for (const byte of chunk) {
      switch (this.#state) {
        case 'data':
          if (byte === IAC) this.#state = 'iac';
          else this.#onByte(byte);
          break;
        case 'iac':
          this.#onIac(byte);
          break;
        case 'verb':
          this.#onVerb(this.#verb, byte);
          this.#state = 'data';
          break;
        case 'sb':
          if (byte === IAC) this.#state = 'sb-iac';
          else if (this.#sb.length < MAX_SB_BYTES) this.#sb.push(byte);
          break;
        case 'sb-iac':
          if (byte === SE) {
            this.#onSubnegotiation(this.#sb);
            this.#sb = [];
            this.#state = 'data';
          } else {
            if (byte === IAC && this.#sb.length < MAX_SB_BYTES) this.#sb.push(IAC);
            this.#state = 'sb';
          }
          break;
      }
    }
  }

  #onIac(byte: number): void {
    if (byte === IAC) {
      this.#onByte(IAC);
      this.#state = 'data';
    } else if (byte >= WILL && byte <= DONT) {
      this.#verb = byte;
      this.#state = 'verb';
    } else if (byte === SB) {
      this.#state = 'sb';
    } else {
      this.#state = 'data';
    }
  }

  #onVerb(verb: number, option: number): void {
    if (verb === WILL && option === OPT_TTYPE) {
      this.#send(Buffer.from([IAC, SB, OPT_TTYPE, 1, IAC, SE]));
    } else if (verb === WILL && option !== OPT_NAWS) {
      this.#send(Buffer.from([IAC, DONT, option]));
    } else if (verb === DO && option !== OPT_ECHO && option !== OPT_SGA) {
      this.#send(Buffer.from([IAC, WONT, option]));
    }
  }

  #onSubnegotiation(sb: number[]): void {
    if (sb[0] === OPT_NAWS && sb.length >= 5) {
      const cols = ((sb[1] ?? 0) << 8) | (sb[2] ?? 0);
      const rows = ((sb[3] ?? 0) << 8) | (sb[4] ?? 0);
      const changed = this.#greeted && (cols !== this.#cols || rows !== this.#rows);
      this.#cols = cols;
      this.#rows = rows;
      if (changed)
        this.#write(
          `\r\n[window is now ${cols}×${rows}]\r\n> ${Buffer.from(this.#line).toString('utf8')}`,
        );
    } else if (sb[0] === OPT_TTYPE && sb[1] === 0) {
      this.#ttype = Buffer.from(sb.slice(2)).toString('latin1');
    }
  }

  #onByte(byte: number): void {
    if (this.#lastCr && (byte === 0 || byte === 10)) {
      this.#lastCr = false;
      return;
    }
    this.#lastCr = byte === 13;
    if (byte === 13 || byte === 10) this.#onEnter();
    else if (byte === 127 || byte === 8) this.#backspace();
    else if (byte === 3) {
      this.#line = [];
      this.#write('^C\r\n> ');
    } else if (byte >= 32 && this.#line.length < MAX_LINE_BYTES) {
      this.#line.push(byte);
      this.#echo.push(byte);
    }
  }

  #backspace(): void {
    if (this.#line.length === 0) return;
    // Drop a whole UTF-8 sequence: continuation bytes are 10xxxxxx.
    while (this.#line.length > 0 && ((this.#line.at(-1) ?? 0) & 0xc0) === 0x80) this.#line.pop();
    this.#line.pop();
    this.#write('\b \b');
  }

  #onEnter(): void {
    const line = Buffer.from(this.#line).toString('utf8').trim();
    this.#line = [];
    this.#write('\r\n');
    if (line === 'quit' || line === 'exit') {
      this.#write('Goodbye!\r\n');
      this.#socket.end();
      return;
    }
    this.#write(`${this.#answer(line)}\r\n> `);
  }

  #answer(line: string): string {
    switch (line) {
      case '':
        return '';
      case 'help':
        return 'Commands: help, size, colors, quit. Anything else is echoed back.';
      case 'size':
        return this.#describeTerminal();
      case 'colors':
        return banner();
      default:
        return `You typed: ${ESC}1;33m${line}${RESET}`;
    }
  }
}

/** Starts the demo service on 127.0.0.1 and an ephemeral port. */
export async function startDemoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => new DemoConnection(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('demo server has no port');
  return { server, port: address.port };
}
