/** Chooses the codec for a host: the telnet engine for telnet hosts (and the demo), raw otherwise. */
import type { Codec, CodecOptions } from '../codec/codec.ts';
import { createRawCodec } from '../codec/raw.ts';
import type { HostEntry } from '../targets/catalogue.ts';
import { createTelnetCodec } from '../telnet/index.ts';

export function createCodecFor(entry: HostEntry, options: CodecOptions): Codec {
  return entry.protocol === 'tcp' ? createRawCodec(options) : createTelnetCodec(options);
}
