/** Chooses the codec for a host: the telnet engine for telnet hosts (and the demo), raw otherwise. */
import type { Codec, CodecOptions } from './codec.ts';
import type { HostEntry } from './hosts.ts';
import { createRawCodec } from './raw-codec.ts';
import { createTelnetCodec } from './telnet/index.ts';

export function createCodecFor(entry: HostEntry, options: CodecOptions): Codec {
  return entry.protocol === 'tcp' ? createRawCodec(options) : createTelnetCodec(options);
}
