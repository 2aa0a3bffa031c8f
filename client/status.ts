/** The status bar: connection state, host, latency, bytes, and the input-mode switch. */
import type { ConnectionState } from './connection.ts';
import { byId } from './dom.ts';
import type { InputMode } from './settings.ts';

const LABELS: Readonly<Record<ConnectionState, string>> = {
  idle: 'Idle',
  opening: 'Connecting…',
  dialing: 'Reaching host…',
  connected: 'Connected',
  waiting: 'Reconnecting…',
  closed: 'Disconnected',
};

/** 1234567 → "1.2 MB"; decimal units, as people read download sizes. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export class StatusBar {
  #bar = byId('status-bar', HTMLElement);
  #state = byId('status-state', HTMLSpanElement);
  #stateText = byId('status-state-text', HTMLSpanElement);
  #host = byId('status-host', HTMLSpanElement);
  #latency = byId('status-latency', HTMLSpanElement);
  #bytes = byId('status-bytes', HTMLSpanElement);
  #mode = byId('btn-mode', HTMLButtonElement);

  set visible(on: boolean) {
    this.#bar.hidden = !on;
  }

  #heldUntil: number | undefined;
  #heldTimer: ReturnType<typeof setInterval> | undefined;
  #current: ConnectionState = 'idle';

  setState(state: ConnectionState): void {
    this.#current = state;
    this.#state.dataset.state = state;
    if (state === 'connected' || state === 'closed' || state === 'idle') this.setHeld(undefined);
    this.#label();
    if (state !== 'connected') this.#latency.textContent = '';
  }

  /** The server holds the session until this time (ms): "Reconnecting… (held for 1:42)". */
  setHeld(until: number | undefined): void {
    this.#heldUntil = until;
    if (this.#heldTimer !== undefined) clearInterval(this.#heldTimer);
    this.#heldTimer = until === undefined ? undefined : setInterval(() => this.#label(), 500);
    this.#label();
  }

  #label(): void {
    const until = this.#heldUntil;
    const reconnecting = this.#current === 'waiting' || this.#current === 'opening';
    if (until === undefined || !reconnecting) {
      this.#stateText.textContent = LABELS[this.#current];
      return;
    }
    const s = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    const held = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    this.#stateText.textContent = `Reconnecting… (held for ${held})`;
  }

  setHost(name: string): void {
    this.#host.textContent = name;
  }

  setLatency(ms: number | undefined): void {
    this.#latency.textContent = ms === undefined ? '' : `${ms} ms`;
  }

  setBytes(down: number, up: number): void {
    this.#bytes.textContent = `↓ ${formatBytes(down)}  ↑ ${formatBytes(up)}`;
  }

  setMode(mode: InputMode): void {
    this.#mode.textContent = mode === 'line' ? 'Line mode' : 'Raw mode';
    this.#mode.dataset.mode = mode;
    this.#mode.setAttribute(
      'aria-label',
      mode === 'line'
        ? 'Input mode: command line. Switch to raw keystrokes'
        : 'Input mode: raw keystrokes. Switch to a command line',
    );
  }
}
