import { createBackendDecoder } from './charset.ts';
import { ClientEncoder } from './client-encoder.ts';
import type { Codec, CodecEvent, CodecOptions, CodecProfile } from './codec.ts';

/** Raw TCP: flow control only; no telnet, so no terminal type to announce. */
export const RAW_PROFILE: CodecProfile = {
  features: ['flow-control'],
  terminalType: 'XTERM-256COLOR',
};

/**
 * The codec for raw TCP hosts: no telnet processing, only the host's character set both
 * ways and Enter as its newline. With UTF-8 and nothing to change, bytes pass through as
 * the very same arrays.
 */
export function createRawCodec(options: CodecOptions): Codec {
  const decode = createBackendDecoder(options.encoding);
  const client = new ClientEncoder(options.encoding, options.newline);
  return {
    start: () => [],
    fromBackend(chunk: Uint8Array): CodecEvent[] {
      const bytes = decode === undefined ? chunk : decode(chunk);
      return bytes.length === 0 ? [] : [{ kind: 'data', bytes }];
    },
    fromClient: (bytes) => client.encode(bytes),
    resize: () => [],
    gmcp: () => [],
  };
}
