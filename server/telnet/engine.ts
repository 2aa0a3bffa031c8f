import { createBackendDecoder, isUtf8 } from '../codec/charset.ts';
import { ClientEncoder } from '../codec/client-encoder.ts';
import type { Codec, CodecEvent, CodecOptions } from '../codec/codec.ts';
import { Cmd, Opt, TelnetLimits, Ttype, type Verb } from './codes.ts';
import { answerEnviron, mnesValues } from './environ.ts';
import { EventBuffer } from './events.ts';
import { decodeMssp } from './mud.ts';
import { gmcpEvent, MudChannel, msdpEvent } from './mud-channel.ts';
import { MNES_OPTIONS, MNES_REFUSED, OptionTable, type Side } from './options.ts';
import { escapeIac } from './outbound.ts';
import { type ParserSink, TelnetParser } from './parser.ts';
import {
  answerCharset,
  clampSize,
  encodeNaws,
  encodeTtype,
  mttsBits,
  TtypeCycle,
} from './terminal.ts';
import { WireInput } from './wire-input.ts';

/** Shared: a flood of GA must not allocate an event each. */
const PROMPT: CodecEvent = Object.freeze({ kind: 'prompt' });
/**
 * The telnet engine: backend bytes in, events out. No sockets, no timers;
 * every reply it wants written to the backend comes back as a `send` event.
 */
export class TelnetEngine implements Codec {
  #options: CodecOptions;
  #table: OptionTable;
  #parser: TelnetParser;
  #client: ClientEncoder;
  #utf8: boolean;
  #ttype: TtypeCycle;
  #cols: number;
  #rows: number;
  #sentSize = '';
  #input: WireInput;
  /** False until the browser has told a size (CodecOptions 0 × 0): NAWS waits for it. */
  #sizeKnown: boolean;
  #fatal = false;
  #maxEvents: number;
  #mud = new MudChannel();
  #out: EventBuffer;

  constructor(options: CodecOptions) {
    this.#options = options;
    this.#maxEvents = options.maxEventsPerCall ?? Number.POSITIVE_INFINITY;
    this.#table =
      options.mnes === undefined ? new OptionTable() : new OptionTable(MNES_OPTIONS, MNES_REFUSED);
    this.#out = new EventBuffer(createBackendDecoder(options.encoding));
    this.#client = new ClientEncoder(options.encoding, options.newline, escapeIac);
    this.#utf8 = isUtf8(options.encoding);
    this.#ttype = new TtypeCycle(options.terminalType);
    this.#sizeKnown = !(options.cols === 0 && options.rows === 0);
    const size = clampSize(options.cols, options.rows) ?? { cols: 80, rows: 24 };
    this.#cols = size.cols;
    this.#rows = size.rows;
    this.#parser = new TelnetParser(this.#sink(), (option) => this.#subnegotiationLimit(option));
    this.#input = new WireInput(this.#parser, {
      spent: () => this.#out.size >= this.#maxEvents,
      failed: (message, tooBig) => this.#failInflate(message, tooBig),
    });
  }

  /** Bytes held for an unfinished subnegotiation; SECURITY.md C17 bounds it. */
  get bufferedSubnegotiationBytes(): number {
    return this.#parser.bufferedSubnegotiationBytes;
  }

  /** Bytes allocated for subnegotiations; never above the largest cap. */
  get subnegotiationCapacity(): number {
    return this.#parser.subnegotiationCapacity;
  }

  /** Whether one side of an option is on (for tests and diagnostics). */
  enabled(side: Side, option: number): boolean {
    return this.#table.enabled(side, option);
  }

  // Passive, like Mudlet and TinTin++: telnet servers ask for what they use (DO NAWS,
  // DO TTYPE), and MUDs that never negotiate see no stray bytes.
  start(): CodecEvent[] {
    return [];
  }

  fromBackend(chunk: Uint8Array): CodecEvent[] {
    if (this.#fatal) return [];
    this.#input.read(chunk);
    return this.#out.take();
  }

  get backlog(): boolean {
    return this.#input.backlog;
  }

  more(): CodecEvent[] {
    if (this.#fatal) return [];
    this.#input.more();
    return this.#out.take();
  }

  fromClient(bytes: Uint8Array): Uint8Array {
    return this.#client.encode(bytes);
  }

  resize(cols: number, rows: number): CodecEvent[] {
    const size = clampSize(cols, rows);
    if (size === undefined) return [];
    this.#cols = size.cols;
    this.#rows = size.rows;
    this.#sizeKnown = true;
    if (this.#table.enabled('us', Opt.NAWS)) this.#sendNaws();
    return this.#out.take();
  }

  gmcp(pkg: string, data: unknown): CodecEvent[] {
    return this.#mud.gmcp(pkg, data, this.#table.enabled('him', Opt.GMCP));
  }

  msdp(data: Record<string, unknown>): CodecEvent[] {
    return this.#mud.msdp(data, this.#table.enabled('him', Opt.MSDP));
  }

  #sink(): ParserSink {
    return {
      data: (bytes) => this.#out.data(bytes),
      command: (code) => this.#onCommand(code),
      negotiate: (verb, option) => this.#onNegotiate(verb, option),
      // The parser takes a subnegotiation's answer as its halt flag: fold the budget in.
      subnegotiation: (option, payload) =>
        this.#onSubnegotiation(option, payload) || this.#budget(),
      warning: (message) => this.#emit({ kind: 'warning', message }),
    };
  }

  /** Plain input stops at the event budget (inflated input: between steps, wire-input.ts). */
  #budget(): boolean {
    const spent = !this.#input.compressing && this.#out.size >= this.#maxEvents;
    if (spent) this.#parser.stop();
    return spent;
  }

  #onCommand(code: number): void {
    // EOR (RFC 885) and GA (RFC 854) end a prompt; MUDs send GA even after SGA.
    if (code === Cmd.GA || code === Cmd.EOR) this.#emit(PROMPT);
    this.#budget();
  }

  #onNegotiate(verb: Verb, option: number): void {
    const outcome = this.#table.receive(verb, option);
    if (outcome.reply !== undefined) this.#send(Uint8Array.of(Cmd.IAC, outcome.reply, option));
    if (outcome.changed !== undefined) this.#onChange(outcome.side, option, outcome.changed);
    this.#budget();
  }

  #onChange(side: Side, option: number, enabled: boolean): void {
    if (side === 'us') {
      // RFC 1073: the size follows WILL NAWS. A DONT/DO storm gets it again only if it
      // changed, so replies never outgrow the requests (SECURITY.md C19).
      if (option === Opt.NAWS && enabled && this.#sizeKnown) this.#sendNaws();
      // MTTS: DONT TTYPE then DO TTYPE is how a server restarts the cycle.
      if (option === Opt.TTYPE && !enabled) {
        this.#ttype = new TtypeCycle(this.#options.terminalType);
      }
      if (option === Opt.BINARY) this.#client.setBinary(enabled);
      return;
    }
    switch (option) {
      case Opt.ECHO:
        this.#emit({ kind: 'echo', local: !enabled });
        break;
      case Opt.BINARY:
        this.#parser.stripNulAfterCr = !enabled; // RFC 856: in binary mode NUL is data
        break;
      case Opt.GMCP:
        for (const bytes of this.#mud.gmcpTurned(enabled)) this.#send(bytes);
        break;
      case Opt.MSDP:
        for (const bytes of this.#mud.msdpTurned(enabled)) this.#send(bytes);
        break;
      case Opt.MXP:
        this.#emit({ kind: 'mxp', enabled });
        break;
    }
  }

  #onSubnegotiation(option: number, payload: Uint8Array): boolean {
    switch (option) {
      case Opt.TTYPE:
        if (payload[0] === Ttype.SEND && this.#table.enabled('us', Opt.TTYPE)) {
          this.#send(encodeTtype(this.#ttype.next(this.#mttsBits())));
        }
        return false;
      case Opt.CHARSET:
        this.#onCharset(payload);
        return false;
      case Opt.NEW_ENVIRON:
        this.#onEnviron(payload);
        return false;
      case Opt.MCCP2:
        return this.#startCompression();
      case Opt.GMCP:
      case Opt.MSDP:
        if (!this.#table.enabled('him', option)) return false;
        this.#emit(option === Opt.GMCP ? gmcpEvent(payload) : msdpEvent(payload));
        return false;
      case Opt.MSSP:
        if (this.#table.enabled('him', Opt.MSSP))
          this.#emit({ kind: 'mssp', vars: decodeMssp(payload) });
        return false;
      default:
        return false; // SECURITY.md D6: subnegotiations for options we refused are ignored
    }
  }

  // Only reachable on `mnes: true` hosts: elsewhere NEW-ENVIRON is never agreed (D7).
  #onEnviron(payload: Uint8Array): void {
    if (!this.#table.enabled('us', Opt.NEW_ENVIRON)) return;
    const values = mnesValues({
      ipAddress: this.#options.mnes?.ipAddress ?? '',
      encoding: this.#utf8 ? 'UTF-8' : this.#options.encoding,
      mtts: this.#mttsBits(),
      terminalType: this.#options.terminalType,
    });
    const reply = answerEnviron(payload, values);
    if (reply !== undefined) this.#send(reply);
  }

  #onCharset(payload: Uint8Array): void {
    if (!this.#table.enabled('us', Opt.CHARSET) && !this.#table.enabled('him', Opt.CHARSET)) return;
    const answer = answerCharset(payload);
    if (answer.reply !== undefined) this.#send(answer.reply);
    if (answer.accepted === undefined || this.#utf8) return;
    // From here on the backend sends UTF-8 whatever the host's configured set was.
    this.#out.flush();
    this.#out.decode = undefined;
    this.#client.setEncoding('utf-8');
    this.#utf8 = true;
  }

  // MCCP2: see wire-input.ts. The parser stops right after `IAC SE`.
  #startCompression(): boolean {
    if (this.#input.compressing) return false;
    if (!this.#table.enabled('him', Opt.MCCP2)) {
      this.#emit({ kind: 'warning', message: 'MCCP2 start without negotiation ignored' });
      return false;
    }
    this.#input.startCompression();
    return true;
  }

  #subnegotiationLimit(option: number): number {
    const mud = option === Opt.GMCP || option === Opt.MSDP;
    return mud && this.#table.enabled('him', option)
      ? TelnetLimits.maxMudSubnegotiationBytes
      : TelnetLimits.maxSubnegotiationBytes;
  }

  #mttsBits(): number {
    return mttsBits({
      utf8: this.#utf8,
      screenReader: this.#options.screenReader,
      mnes: this.#options.mnes !== undefined,
      tls: this.#options.tls === true,
    });
  }

  #sendNaws(): void {
    const size = `${this.#cols}x${this.#rows}`;
    if (size === this.#sentSize) return;
    this.#sentSize = size;
    this.#send(encodeNaws(this.#cols, this.#rows));
  }

  #send(bytes: Uint8Array): void {
    this.#out.send(bytes);
  }

  #emit(event: CodecEvent): void {
    this.#out.emit(event);
  }

  #failInflate(message: string, tooBig: boolean): void {
    const limit = TelnetLimits.maxInflatedBytesPerChunk;
    // A decompression bomb's output is not shown: the read is refused as a whole.
    if (tooBig) this.#out.discardData();
    const why = tooBig ? `inflated output exceeds ${limit} bytes for one read` : message;
    this.#fail(`MCCP2 stream cannot be decompressed: ${why}`);
  }

  #fail(message: string): void {
    this.#fatal = true;
    this.#input.stop();
    this.#out.emit({ kind: 'fatal', message });
  }
}
