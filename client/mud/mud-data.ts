/**
 * GMCP and MSDP for one session: asks the host for what the panels use (GMCP
 * `Core.Supports.Set`, MSDP `LIST REPORTABLE_VARIABLES` then `REPORT`), folds the answers into
 * the panel state, draws the panels at most once a frame and passes everything on to the
 * event API.
 */
import { MudEvents, stateDetail } from './events.ts';
import type { MudHost } from './host.ts';
import {
  applyGmcp,
  applyMsdp,
  emptyMudState,
  GMCP_SUPPORTS,
  type MudState,
  reportRequest,
} from './mud-state.ts';
import { Panels } from './panels.ts';

export class MudData {
  #host: MudHost;
  #state: MudState = emptyMudState();
  #panels: Panels;
  #events: MudEvents;
  #asked = false;
  #reported = false;
  #frame: number | undefined;

  constructor(host: MudHost, go: (direction: string) => void) {
    this.#host = host;
    this.#events = new MudEvents(host.embed);
    this.#panels = new Panels((dir) => {
      go(dir);
      // Back to typing after a click on an exit.
      host.focusInput();
    });
    const session = document.getElementById('session');
    session?.append(this.#panels.root);
  }

  get state(): MudState {
    return this.#state;
  }

  /** A (re)connection: ask again, the host forgets what it was asked. */
  connected(): void {
    this.#asked = false;
    this.#reported = false;
    this.#ask();
  }

  gmcp(pkg: string, data: unknown): void {
    this.#ask();
    this.#events.emit('gmcp', { package: pkg, data });
    if (applyGmcp(this.#state, pkg, data)) this.#changed();
  }

  msdp(data: Record<string, unknown>): void {
    this.#ask();
    this.#events.emit('msdp', { data });
    if ('REPORTABLE_VARIABLES' in data && !this.#reported) {
      const wanted = reportRequest(data.REPORTABLE_VARIABLES);
      if (wanted.length > 0) {
        this.#reported = true;
        this.#host.msdp({ REPORT: wanted });
      }
    }
    if (applyMsdp(this.#state, data)) this.#changed();
  }

  dispose(): void {
    if (this.#frame !== undefined) cancelAnimationFrame(this.#frame);
    this.#panels.root.remove();
  }

  #ask(): void {
    if (this.#asked) return;
    this.#asked = true;
    this.#host.gmcp('Core.Supports.Set', GMCP_SUPPORTS);
    this.#host.msdp({ LIST: 'REPORTABLE_VARIABLES' });
  }

  #changed(): void {
    if (this.#frame !== undefined) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = undefined;
      this.#panels.render(this.#state);
      this.#events.emit('state', stateDetail(this.#state));
    });
  }
}
