/**
 * The owner's side of sharing and recording: the Share button and dialog (watch link, copy,
 * stop sharing, who is watching), and the status bar's marks for "recorded" and viewers.
 */
import type { HelloInfo } from '../shared/protocol.ts';
import type { ViewersMessage } from './connection-types.ts';
import { byId, type Disposable, listen } from './dom.ts';

/** How long a link the Share button asks for lives (the server may cut it shorter). */
const LINK_TTL_SECONDS = 3600;

export interface ShareHooks {
  share(ttl: number): void;
  unshare(): void;
  /** A line in the terminal (recording started or stopped). */
  notice(text: string): void;
}

export class ShareControls {
  #hooks: ShareHooks;
  #button = byId('btn-share', HTMLButtonElement);
  #dialog = byId('share-dialog', HTMLDialogElement);
  #url = byId('share-url', HTMLParagraphElement);
  #status = byId('share-status', HTMLParagraphElement);
  #copy = byId('share-copy', HTMLButtonElement);
  #stop = byId('share-stop', HTMLButtonElement);
  #rec = byId('status-rec', HTMLSpanElement);
  #viewersItem = byId('status-viewers', HTMLSpanElement);
  #link: string | undefined;
  #expiresAt = 0;
  #viewers = 0;
  #listeners: Disposable[];

  constructor(hooks: ShareHooks) {
    this.#hooks = hooks;
    this.#listeners = [
      listen(this.#button, 'click', () => this.open()),
      listen(this.#copy, 'click', () => void this.#copyLink()),
      listen(this.#stop, 'click', () => this.#unshare()),
    ];
  }

  /** A new connection's hello: may this owner share, is the session recorded. */
  hello(hello: HelloInfo): void {
    this.#button.hidden = hello.share !== true || hello.role === 'spectator';
    // A resumed session is the same session: its link, viewers and recording carry on.
    if (hello.resumed !== undefined) return;
    this.#link = undefined;
    this.#setViewers(0);
    this.#rec.textContent = hello.recording === true ? '● REC' : '';
    if (hello.recording === true)
      this.#hooks.notice('This session is recorded by the server operator.');
  }

  message(msg: ViewersMessage): void {
    if (msg.type === 'shared') {
      this.#link = new URL(msg.url, document.baseURI).href;
      this.#expiresAt = msg.expiresAt;
      this.#render();
    } else if (msg.type === 'viewers') this.#setViewers(msg.count);
    else if (msg.type === 'recording' && !msg.active) {
      this.#rec.textContent = '';
      this.#hooks.notice(`Recording stopped (${msg.detail ?? 'by the server'}).`);
    }
  }

  /** Opens the dialog and asks for a link (or a new expiry for the current one). */
  open(): void {
    this.#hooks.share(LINK_TTL_SECONDS);
    this.#render();
    if (!this.#dialog.open) this.#dialog.showModal();
  }

  dispose(): void {
    for (const l of this.#listeners) l.dispose();
    if (this.#dialog.open) this.#dialog.close();
    this.#button.hidden = true;
    this.#rec.textContent = '';
    this.#viewersItem.textContent = '';
  }

  #unshare(): void {
    this.#hooks.unshare();
    this.#link = undefined;
    this.#render();
    this.#status.textContent = 'Sharing stopped: the link no longer works.';
  }

  #setViewers(count: number): void {
    this.#viewers = count;
    this.#viewersItem.textContent = count === 0 ? '' : `${count} watching`;
    this.#render();
  }

  #render(): void {
    const link = this.#link;
    this.#url.textContent = link ?? 'Asking the server for a link…';
    this.#copy.disabled = link === undefined;
    this.#stop.disabled = link === undefined;
    if (link === undefined) return;
    const until = new Date(this.#expiresAt).toLocaleTimeString([], {
      hour: '2-digit',
      minute: '2-digit',
    });
    const who = this.#viewers === 1 ? '1 person is' : `${this.#viewers} people are`;
    this.#status.textContent = `The link works until ${until}. ${who} watching.`;
  }

  async #copyLink(): Promise<void> {
    if (this.#link === undefined) return;
    try {
      await navigator.clipboard.writeText(this.#link);
      this.#copy.textContent = 'Copied';
    } catch {
      this.#copy.textContent = 'Select and copy';
    }
    setTimeout(() => {
      this.#copy.textContent = 'Copy link';
    }, 1500);
  }
}
