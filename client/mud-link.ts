/**
 * The session's door to the MUD client (scripting, triggers, GMCP/MSDP panels, MXP, split
 * scrollback): a few lines in the first bundle, the rest fetched by dynamic import only for
 * MUD sessions (line mode, or once the host speaks GMCP, MSDP or MXP), so first paint does
 * not wait for it. While it loads, host output and typed lines queue here, in order; the
 * queue is bounded by the flow-control window (nothing is acknowledged until written).
 */

import type { MudHost } from './mud/host.ts';
import type { MudClient } from './mud/mud-client.ts';

type Op = (client: MudClient | undefined) => void;

export class MudLink {
  #host: MudHost;
  #client: MudClient | undefined;
  #loading = false;
  #failed = false;
  #queue: Op[] = [];
  #disposed = false;

  constructor(host: MudHost) {
    this.#host = host;
  }

  get loaded(): boolean {
    return this.#client !== undefined;
  }

  /** Starts loading the MUD client (idempotent). */
  load(): void {
    if (this.#loading || this.#client !== undefined || this.#failed) return;
    this.#loading = true;
    import('./mud/mud-client.ts').then(
      ({ MudClient }) => {
        this.#loading = false;
        if (this.#disposed) return;
        this.#client = new MudClient(this.#host);
        this.#drain();
      },
      () => {
        // Offline or a stale deployment: the terminal still works without scripting.
        this.#loading = false;
        this.#failed = true;
        this.#drain();
      },
    );
  }

  /** Host output for the terminal; `done` fires once it is drawn (the flow-control ack). */
  write(bytes: Uint8Array, done: () => void): void {
    this.#run((c) => (c === undefined ? this.#host.view.write(bytes, done) : c.write(bytes, done)));
  }

  /** A typed line. Secret lines (passwords) are never expanded, echoed or logged. */
  sendLine(line: string, secret: boolean): boolean {
    if (secret || (this.#client === undefined && !this.#loading)) {
      const sent = this.#host.sendCommand(line);
      if (sent && !secret) this.#host.echo(line);
      return sent;
    }
    this.#run((c) => {
      if (c === undefined) {
        if (this.#host.sendCommand(line)) this.#host.echo(line);
      } else c.sendLine(line);
    });
    return true;
  }

  gmcp(pkg: string, data: unknown): void {
    this.load();
    this.#run((c) => c?.gmcp(pkg, data));
  }

  msdp(data: Record<string, unknown>): void {
    this.load();
    this.#run((c) => c?.msdp(data));
  }

  mxp(enabled: boolean): void {
    if (enabled) this.load();
    this.#run((c) => c?.mxp(enabled));
  }

  /** Telnet GA/EOR: a prompt is complete. */
  prompt(): void {
    this.#run((c) => c?.prompt());
  }

  connected(): void {
    this.#run((c) => c?.connected());
  }

  /** A terminal link was activated; true when it was an MXP link the MUD client handled. */
  link(event: MouseEvent, uri: string): boolean {
    return this.#client?.link(event, uri) ?? false;
  }

  /** The pointer is over a link (undefined: it left): the tip to show (an MXP hint), or undefined for the address. */
  linkHover(uri: string | undefined): string | undefined {
    return this.#client?.linkHover(uri);
  }

  /** Esc and friends; true when the MUD client used the key. */
  key(e: KeyboardEvent): boolean {
    return this.#client?.key(e) ?? false;
  }

  dispose(): void {
    this.#disposed = true;
    this.#queue = [];
    this.#client?.dispose();
    this.#client = undefined;
  }

  #run(op: Op): void {
    if (this.#loading || this.#queue.length > 0) this.#queue.push(op);
    else op(this.#client);
  }

  #drain(): void {
    const queue = this.#queue;
    this.#queue = [];
    for (const op of queue) op(this.#client);
  }
}
