/** Chooses the codec for a host: the telnet engine for telnet hosts (and the demo), raw otherwise. */
import type { Codec, CodecOptions, CodecProfile } from '../codec/codec.ts';
import { createRawCodec, RAW_PROFILE } from '../codec/raw.ts';
import type { HostEntry } from '../targets/catalogue.ts';
import { createTelnetCodec, TELNET_PROFILE } from '../telnet/index.ts';

/** What the host's codec offers the client (hello's `features`) and answers as terminal type. */
export function codecProfileFor(entry: HostEntry): CodecProfile {
  if (entry.protocol === 'ssh') return SSH_PROFILE;
  return isRaw(entry) ? RAW_PROFILE : TELNET_PROFILE;
}

/**
 * Events one codec call may produce inside a session: a read of `IAC GA` or GMCP floods is
 * worked through in steps of this size, one per turn of the event loop, while the backend
 * is held (bridge.ts, Hold.CODEC).
 */
const MAX_EVENTS_PER_CALL = 1024;

export function createCodecFor(entry: HostEntry, options: CodecOptions): Codec {
  const bounded = { maxEventsPerCall: MAX_EVENTS_PER_CALL, ...options };
  // A PTY takes Enter as the terminal's own CR (as over telnet BINARY); the size goes to the
  // SSH stream itself (BackendStream.resize), so the byte codec is enough.
  if (entry.protocol === 'ssh')
    return createRawCodec({
      ...bounded,
      newline: options.newline === 'auto' ? 'cr' : options.newline,
    });
  return isRaw(entry) ? createRawCodec(bounded) : createTelnetCodec(bounded);
}

/** SSH: the PTY's terminal type; flow control as for every host. */
const SSH_PROFILE: CodecProfile = { features: ['flow-control'], terminalType: 'xterm-256color' };

/** `tcp://` and `tls://` are byte streams; telnet, telnets and the demo speak telnet. */
function isRaw(entry: HostEntry): boolean {
  return entry.protocol === 'tcp' || entry.protocol === 'tls';
}
