/** Chooses the codec for a host: the telnet engine for telnet hosts (and the demo), raw otherwise. */
import type { Codec, CodecOptions, CodecProfile } from '../codec/codec.ts';
import { createRawCodec, RAW_PROFILE } from '../codec/raw.ts';
import type { HostEntry } from '../targets/catalogue.ts';
import { createTelnetCodec, TELNET_PROFILE } from '../telnet/index.ts';

/** What the host's codec offers the client (hello's `features`) and answers as terminal type. */
export function codecProfileFor(entry: HostEntry): CodecProfile {
  return isRaw(entry) ? RAW_PROFILE : TELNET_PROFILE;
}

export function createCodecFor(entry: HostEntry, options: CodecOptions): Codec {
  return isRaw(entry) ? createRawCodec(options) : createTelnetCodec(options);
}

/** `tcp://` and `tls://` are byte streams; telnet, telnets and the demo speak telnet. */
function isRaw(entry: HostEntry): boolean {
  return entry.protocol === 'tcp' || entry.protocol === 'tls';
}
