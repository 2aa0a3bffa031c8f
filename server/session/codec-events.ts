/** How the bridge turns a codec's browser-bound events into protocol messages. */
import type { ServerMessage } from '../../shared/protocol.ts';
import type { CodecEvent } from '../codec/codec.ts';

/** The events that become a control message for the browser. */
export type ControlEvent = Extract<
  CodecEvent,
  { kind: 'echo' | 'prompt' | 'gmcp' | 'msdp' | 'mxp' }
>;

export function controlMessage(ev: ControlEvent): ServerMessage {
  switch (ev.kind) {
    case 'echo':
      return { type: 'echo', local: ev.local };
    case 'prompt':
      return { type: 'prompt' };
    case 'gmcp':
      return { type: 'gmcp', package: ev.package, data: ev.data };
    case 'msdp':
      return { type: 'msdp', data: ev.data };
    case 'mxp':
      return { type: 'mxp', enabled: ev.enabled };
  }
}
