import type { Codec, CodecOptions } from '../codec/codec.ts';
import { TelnetEngine } from './engine.ts';

export { Cmd, Opt, TelnetLimits } from './codes.ts';
export { TelnetEngine } from './engine.ts';
export { ALWAYS_REFUSED, SUPPORTED_OPTIONS } from './options.ts';

/** The telnet codec for `telnet://` hosts; throws for an unknown `encoding`. */
export function createTelnetCodec(options: CodecOptions): Codec {
  return new TelnetEngine(options);
}
