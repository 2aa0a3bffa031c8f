import type { Codec, CodecOptions, CodecProfile } from '../codec/codec.ts';
import { TelnetEngine } from './engine.ts';

/** Telnet: TTYPE answers xterm-256color (then MTTS), and the client gets echo/prompt/GMCP messages. */
export const TELNET_PROFILE: CodecProfile = {
  features: ['flow-control', 'telnet', 'gmcp', 'msdp', 'mxp', 'echo', 'prompt'],
  terminalType: 'XTERM-256COLOR',
};

/** The telnet codec for `telnet://` hosts; throws for an unknown `encoding`. */
export function createTelnetCodec(options: CodecOptions): Codec {
  return new TelnetEngine(options);
}
