/** The card over the terminal that says why a session ended and what happens next. */
import type { Ended } from './connection.ts';
import { byId, plainText } from './dom.ts';

export class Notice {
  #root = byId('notice', HTMLDivElement);
  #title = byId('notice-title', HTMLParagraphElement);
  #text = byId('notice-text', HTMLParagraphElement);
  #detail = byId('notice-detail', HTMLParagraphElement);
  #retry = byId('notice-retry', HTMLParagraphElement);
  #reconnect = byId('btn-reconnect', HTMLButtonElement);
  #stop = byId('btn-cancel-retry', HTMLButtonElement);
  #countdown: ReturnType<typeof setInterval> | undefined;

  get reconnectButton(): HTMLButtonElement {
    return this.#reconnect;
  }

  get stopButton(): HTMLButtonElement {
    return this.#stop;
  }

  show(ended: Ended): void {
    this.#clearCountdown();
    this.#root.hidden = false;
    this.#root.dataset.kind = ended.retryInMs === undefined ? 'closed' : 'retrying';
    this.#title.textContent = ended.retryInMs === undefined ? 'Session ended' : 'Connection lost';
    this.#text.textContent = ended.sentence;
    // The server's reason is untrusted text: shown literally, control characters removed (E7).
    const reason = plainText(ended.reason, 123);
    const redundant = saysNothingNew(reason, ended.sentence);
    this.#detail.hidden = reason === '' || redundant || ended.deliberate;
    this.#detail.textContent = reason === '' ? '' : `Server said: “${reason}”`;
    this.#reconnect.textContent = ended.retryInMs === undefined ? 'Reconnect' : 'Reconnect now';
    this.#stop.hidden = ended.retryInMs === undefined;
    if (ended.retryInMs !== undefined) this.#startCountdown(ended.retryInMs, ended.attempt);
    else if (ended.gaveUp) {
      this.#retry.hidden = false;
      this.#retry.textContent = 'Stopped retrying after several attempts.';
    } else this.#retry.hidden = true;
  }

  /** A retry was cancelled by the user: keep the sentence, drop the countdown. */
  stopped(): void {
    this.#clearCountdown();
    this.#root.dataset.kind = 'closed';
    this.#title.textContent = 'Session ended';
    this.#retry.hidden = false;
    this.#retry.textContent = 'Automatic reconnect is off for now.';
    this.#reconnect.textContent = 'Reconnect';
    this.#stop.hidden = true;
  }

  hide(): void {
    this.#clearCountdown();
    this.#root.hidden = true;
  }

  get visible(): boolean {
    return !this.#root.hidden;
  }

  focus(): void {
    this.#reconnect.focus();
  }

  #startCountdown(ms: number, attempt: number): void {
    const due = Date.now() + ms;
    const tick = (): void => {
      const s = Math.max(0, Math.ceil((due - Date.now()) / 1000));
      this.#retry.textContent =
        s > 0 ? `Reconnecting in ${s} s (attempt ${attempt})…` : 'Reconnecting…';
    };
    this.#retry.hidden = false;
    tick();
    this.#countdown = setInterval(tick, 250);
  }

  #clearCountdown(): void {
    if (this.#countdown !== undefined) clearInterval(this.#countdown);
    this.#countdown = undefined;
  }
}

/** True when every word of the reason is already in the sentence ("server shutting down"). */
function saysNothingNew(reason: string, sentence: string): boolean {
  const words = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const known = new Set(words(sentence));
  return words(reason).every((w) => known.has(w));
}
