/**
 * GMCP and MSDP between the browser and the MUD: what the browser sends goes out once the MUD
 * has agreed to the option and waits in a bounded queue until then (browsers ask on connect,
 * before the MUD offers); GMCP starts with one Core.Hello per connection. What the MUD sends
 * becomes an event for the browser.
 */
import type { CodecEvent } from '../codec/codec.ts';
import { CLIENT_HELLO, TelnetLimits } from './codes.ts';
import { decodeGmcp, decodeMsdp, encodeGmcp, encodeMsdp, isGmcpPackage } from './mud.ts';

/** A GMCP subnegotiation from the MUD as an event (a warning when it does not decode). */
export function gmcpEvent(payload: Uint8Array): CodecEvent {
  const message = decodeGmcp(payload);
  return message.kind === 'error'
    ? { kind: 'warning', message: message.message }
    : { kind: 'gmcp', package: message.package, data: message.data };
}

/** An MSDP subnegotiation from the MUD as an event (a warning when it does not decode). */
export function msdpEvent(payload: Uint8Array): CodecEvent {
  const message = decodeMsdp(payload);
  return message.kind === 'error'
    ? { kind: 'warning', message: message.message }
    : { kind: 'msdp', data: message.data };
}

/** The browser's side of GMCP and MSDP for one connection. */
export class MudChannel {
  #gmcpQueue: Uint8Array[] = [];
  #msdpQueue: Uint8Array[] = [];
  #helloSent = false;

  /** GMCP from the browser: sent now if `agreed`, else queued (a few). */
  gmcp(pkg: string, data: unknown, agreed: boolean): CodecEvent[] {
    const bytes = isGmcpPackage(pkg) ? encodeGmcp(pkg, data) : undefined;
    if (bytes === undefined)
      return [{ kind: 'warning', message: `GMCP from client not sendable (${pkg.slice(0, 40)})` }];
    if (agreed) return [{ kind: 'send', bytes }];
    // Browsers send Core.Supports.Set on connect, before the MUD offers GMCP: keep a few.
    if (this.#gmcpQueue.length < TelnetLimits.maxQueuedGmcp) this.#gmcpQueue.push(bytes);
    return [];
  }

  /** MSDP from the browser: sent now if `agreed`, else queued (a few). */
  msdp(data: Record<string, unknown>, agreed: boolean): CodecEvent[] {
    const bytes = encodeMsdp(data);
    if (bytes === undefined) return [{ kind: 'warning', message: 'MSDP from client not sendable' }];
    if (agreed) return [{ kind: 'send', bytes }];
    // Like GMCP: the browser asks (LIST, REPORT) on connect, before the MUD offers MSDP.
    if (this.#msdpQueue.length < TelnetLimits.maxQueuedMsdp) this.#msdpQueue.push(bytes);
    return [];
  }

  /** GMCP turned on (Core.Hello, then the queue) or off (the queue is dropped): what to send. */
  gmcpTurned(enabled: boolean): Uint8Array[] {
    const queued = this.#gmcpQueue;
    this.#gmcpQueue = [];
    if (!enabled) return [];
    // Once per connection: a WILL/WONT GMCP storm must not make us repeat ourselves.
    const hello = this.#helloSent ? undefined : encodeGmcp('Core.Hello', CLIENT_HELLO);
    this.#helloSent = true;
    return hello === undefined ? queued : [hello, ...queued];
  }

  /** MSDP turned on (the queue goes out) or off (it is dropped): what to send. */
  msdpTurned(enabled: boolean): Uint8Array[] {
    const queued = this.#msdpQueue;
    this.#msdpQueue = [];
    return enabled ? queued : [];
  }
}
