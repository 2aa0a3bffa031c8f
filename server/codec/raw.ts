import { createBackendDecoder, type Transcode } from './charset.ts';
import { ClientEncoder } from './client-encoder.ts';
import type { Codec, CodecEvent, CodecOptions, CodecProfile } from './codec.ts';

/** Raw TCP: flow control only; no telnet, so no terminal type to announce. */
export const RAW_PROFILE: CodecProfile = {
  features: ['flow-control'],
  terminalType: 'XTERM-256COLOR',
};

/** Shared by every call that has nothing to report (frozen: nobody may push into it). */
const NO_EVENTS = Object.freeze([]) as unknown as CodecEvent[];

/**
 * The codec for raw TCP hosts: no telnet processing, only the host's character set both
 * ways and Enter as its newline. With UTF-8 and nothing to change, bytes pass through as
 * the very same arrays. A class, not an object of closures: every held session has one, and
 * methods on the prototype cost nothing per session.
 */
class RawCodec implements Codec {
  #decode: Transcode | undefined;
  #client: ClientEncoder;

  constructor(options: CodecOptions) {
    this.#decode = createBackendDecoder(options.encoding);
    this.#client = new ClientEncoder(options.encoding, options.newline);
  }

  start(): CodecEvent[] {
    return NO_EVENTS;
  }

  fromBackend(chunk: Uint8Array): CodecEvent[] {
    const bytes = this.#decode === undefined ? chunk : this.#decode(chunk);
    return bytes.length === 0 ? NO_EVENTS : [{ kind: 'data', bytes }];
  }

  fromClient(bytes: Uint8Array): Uint8Array {
    return this.#client.encode(bytes);
  }

  resize(): CodecEvent[] {
    return NO_EVENTS;
  }

  gmcp(): CodecEvent[] {
    return NO_EVENTS;
  }
}

export function createRawCodec(options: CodecOptions): Codec {
  return new RawCodec(options);
}
