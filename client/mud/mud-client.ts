/**
 * The MUD client for one session, loaded on demand by client/mud-link.ts: the command line
 * (aliases, speedwalk, repeat, separator), triggers on completed lines, keypad walking and
 * key bindings. Host output goes through the line filter only when something needs it.
 */

import { Alerts } from './alerts.ts';
import { expandLine } from './commands.ts';
import type { MudHost } from './host.ts';
import { bindingName, KEYPAD_DIRECTIONS } from './keypad.ts';
import { LineFilter } from './line-filter.ts';
import { MudData } from './mud-data.ts';
import { MxpParser } from './mxp.ts';
import { loadProfile, type Profile, saveProfile } from './profile.ts';
import { menuItems, SendMenu } from './send-menu.ts';
import { AutoLog, LogLimits } from './session-log.ts';
import { SplitView } from './split-view.ts';
import './mud.css';
import { ToolsDialog } from './tools-dialog.ts';
import { TriggerEngine, type TriggerResult } from './triggers.ts';

/** A held partial line (a prompt without GA/EOR) is drawn after this long. */
const PARTIAL_LINE_MS = 60;

export class MudClient {
  #host: MudHost;
  #profile: Profile;
  #triggers: TriggerEngine;
  #filter: LineFilter;
  #decoder = new TextDecoder('utf-8');
  #alerts = new Alerts();
  #data: MudData;
  #mxp: MxpParser | undefined;
  #mxpOn = false;
  #split: SplitView | undefined;
  #autoLog: AutoLog;
  #logTimer: ReturnType<typeof setInterval>;
  #tools: ToolsDialog;
  #menu = new SendMenu((command) => this.#sendLink(command, false));
  /** The terminal link under the pointer (for the right-click menu). */
  #hovered: string | undefined;
  #onContextMenu = (e: MouseEvent): void => this.#contextMenu(e);
  #partialTimer: ReturnType<typeof setTimeout> | undefined;
  #flushLog = (): void => void this.#autoLog.flush();
  #onKey = (e: KeyboardEvent): void => {
    if (this.key(e)) {
      e.preventDefault();
      e.stopPropagation();
    }
  };

  constructor(host: MudHost) {
    this.#host = host;
    this.#profile = loadProfile(host.storage, host.hostId);
    this.#triggers = new TriggerEngine(this.#profile.triggers, () => Date.now());
    this.#filter = new LineFilter((plain) => this.#judge(plain));
    this.#filter.hold = this.#triggers.rewrites;
    this.#data = new MudData(host, (dir) => this.sendLine(dir));
    const frame = document.getElementById('term-frame');
    if (frame !== null)
      this.#split = new SplitView(host.view.term, frame, this.#profile.splitScroll);
    this.#autoLog = new AutoLog(host.storage, host.hostId);
    this.#logTimer = setInterval(() => this.#autoLog.flush(), LogLimits.flushMs);
    this.#tools = new ToolsDialog({
      hostId: host.hostId,
      term: host.view.term,
      autoLog: this.#autoLog,
      profile: () => this.#profile,
      apply: (p) => {
        saveProfile(host.storage, host.hostId, p);
        this.setProfile(p);
      },
    });
    document.addEventListener('keydown', this.#onKey, true);
    window.addEventListener('pagehide', this.#flushLog);
    document.getElementById('term-frame')?.addEventListener('contextmenu', this.#onContextMenu);
  }

  get profile(): Profile {
    return this.#profile;
  }

  /** The profile was edited (Scripts dialog): takes effect at once. */
  setProfile(profile: Profile): void {
    this.#profile = profile;
    this.#triggers.set(profile.triggers);
    if (this.#split !== undefined) this.#split.enabled = profile.splitScroll;
    this.#filter.hold = this.#triggers.rewrites;
    if (!this.#filter.hold) this.#host.view.writeLocal(this.#filter.flush());
  }

  write(bytes: Uint8Array, done: () => void): void {
    if (!this.#needsText()) {
      this.#host.view.write(bytes, done);
      return;
    }
    let text = this.#decoder.decode(bytes, { stream: true });
    if (this.#mxpOn && this.#mxp !== undefined) {
      text = this.#mxp.push(text);
      // <VERSION>/<SUPPORT>: answered as a line, as zMUD and Mudlet do; not echoed.
      for (const reply of this.#mxp.takeReplies()) this.#host.sendCommand(reply);
    }
    this.#host.view.write(this.#filter.push(text), done);
    this.#schedulePartial();
  }

  sendLine(line: string): void {
    const p = this.#profile;
    const { commands, error } = expandLine(line, {
      separator: p.separator,
      speedwalk: p.speedwalk,
      aliases: p.aliases,
    });
    for (const command of commands) {
      if (!this.#host.sendCommand(command)) break;
      this.#echo(command);
    }
    if (error !== undefined) this.#notice(error);
  }

  gmcp(pkg: string, data: unknown): void {
    this.#data.gmcp(pkg, data);
  }

  msdp(data: Record<string, unknown>): void {
    this.#data.msdp(data);
  }

  mxp(enabled: boolean): void {
    if (enabled === this.#mxpOn) return;
    this.#mxpOn = enabled;
    if (this.#mxp === undefined) {
      const nonce = crypto.getRandomValues(new Uint8Array(12));
      this.#mxp = new MxpParser(Array.from(nonce, (b) => b.toString(16).padStart(2, '0')).join(''));
    }
    this.#host.view.writeLocal(this.#mxp.reset());
  }

  /** An activated terminal link: true when it was an MXP link (sent, prompted or opened). */
  link(event: MouseEvent, uri: string): boolean {
    if (this.#mxp?.owns(uri) !== true) return false;
    const link = this.#mxp.link(uri);
    if (link === undefined) this.#notice('That link has expired.');
    else if (link.kind === 'url') this.#host.openUrl(event, link.url);
    else if (link.commands[0] !== undefined) this.#sendLink(link.commands[0], link.prompt);
    return true;
  }

  /** The pointer is over a link (or left it): what the link tip should say instead of the address. */
  linkHover(uri: string | undefined): string | undefined {
    this.#hovered = uri;
    return uri === undefined ? undefined : this.linkTip(uri);
  }

  /** What hovering an MXP link shows: its hint, or the command or address it stands for. */
  linkTip(uri: string): string | undefined {
    const link = this.#mxp?.link(uri);
    if (link === undefined) return undefined;
    const target = link.kind === 'url' ? link.url : link.commands.join(' | ');
    return link.hint === '' ? target : `${link.hint.split('|')[0]} (${target})`;
  }

  /**
   * GA/EOR: the prompt is a complete line for matching (as in Mudlet), so host text after it
   * starts a line of its own even when the host sends no newline first.
   */
  prompt(): void {
    clearTimeout(this.#partialTimer);
    this.#partialTimer = undefined;
    this.#host.view.writeLocal(this.#filter.endLine());
  }

  connected(): void {
    this.#data.connected();
  }

  /** Keypad walking and key bindings; true when the key was used. */
  key(e: KeyboardEvent): boolean {
    if (e.type !== 'keydown' || e.isComposing || document.querySelector('dialog[open]') !== null)
      return false;
    if (e.key === 'Escape' && this.#split?.open === true) {
      this.#split.close();
      return true;
    }
    const dir =
      this.#profile.keypad && !e.ctrlKey && !e.altKey && !e.metaKey
        ? KEYPAD_DIRECTIONS[e.code]
        : undefined;
    if (dir !== undefined) {
      if (this.#host.sendCommand(dir)) this.#echo(dir);
      return true;
    }
    const name = bindingName(e);
    const binding = this.#profile.keys.find((k) => k.key === name);
    if (binding === undefined) return false;
    this.sendLine(binding.command);
    return true;
  }

  dispose(): void {
    clearTimeout(this.#partialTimer);
    this.#data.dispose();
    clearInterval(this.#logTimer);
    this.#autoLog.flush();
    window.removeEventListener('pagehide', this.#flushLog);
    this.#tools.dispose();
    this.#menu.dispose();
    document.getElementById('term-frame')?.removeEventListener('contextmenu', this.#onContextMenu);
    this.#split?.dispose();
    document.removeEventListener('keydown', this.#onKey, true);
  }

  #sendLink(command: string, prompt: boolean): void {
    if (prompt) this.#host.prompt(command);
    else if (this.#host.sendCommand(command)) this.#echo(command);
    this.#host.focusInput();
  }

  /** Right-click or long-press on a `<send>` link with several commands opens its menu. */
  #contextMenu(e: MouseEvent): void {
    const link = this.#hovered === undefined ? undefined : this.#mxp?.link(this.#hovered);
    if (link?.kind !== 'send' || link.commands.length < 2) return;
    e.preventDefault();
    this.#menu.show(menuItems(link.commands, link.hint), e.clientX, e.clientY);
  }

  #needsText(): boolean {
    return this.#mxpOn || this.#profile.autoLog || this.#triggers.active || this.#filter.held > 0;
  }

  #judge(plain: string): TriggerResult | undefined {
    if (this.#profile.autoLog) this.#autoLog.add(plain);
    const result = this.#triggers.match(plain);
    if (result === undefined) return undefined;
    // After this line is drawn: a send must not overtake the text that caused it.
    queueMicrotask(() => this.#act(result));
    return result;
  }

  #act(r: TriggerResult): void {
    for (const m of r.messages) this.#notice(m);
    for (const command of r.sends) {
      if (this.#host.sendCommand(command)) this.#echo(command);
    }
    if (r.sound) this.#alerts.beep();
    if (r.notify !== undefined) this.#alerts.notify(this.#host.hostId, r.notify);
  }

  /** Local lines end the host's partial line first, so the next host line matches on its own. */
  #echo(command: string): void {
    this.#host.view.writeLocal(this.#filter.endLine());
    if (this.#profile.autoLog) this.#autoLog.add(`› ${command}`);
    this.#host.echo(command);
  }

  #notice(text: string): void {
    this.#host.view.writeLocal(this.#filter.endLine());
    this.#host.notice(text);
  }

  #schedulePartial(): void {
    if (this.#filter.held === 0 || this.#partialTimer !== undefined) return;
    this.#partialTimer = setTimeout(() => this.#flushPartial(), PARTIAL_LINE_MS);
  }

  #flushPartial(): void {
    clearTimeout(this.#partialTimer);
    this.#partialTimer = undefined;
    if (this.#filter.held > 0) this.#host.view.writeLocal(this.#filter.flush());
  }
}
