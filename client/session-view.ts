/** One open session on screen: wires the connection to the terminal, input line, key bar and status bar. */
import { BackendRetry, QUIT_RE, QUIT_WINDOW_MS, type ReconnectPolicy } from './backend-retry.ts';
import { Connection, type ConnectionState, type Ended } from './connection.ts';
import { byId, type Disposable, listen, listenDocument, listenWindow, plainText } from './dom.ts';
import { EchoState } from './echo-state.ts';
import { fullScreen } from './fullscreen.ts';
import { InputLine } from './input-line.ts';
import { KeyBar } from './key-bar.ts';
import { copyText, KeyRouter } from './key-router.ts';
import { compileNoHistory, type LineHistory, loadHistory, saveHistory } from './line-history.ts';
import { confirmLink } from './link-dialog.ts';
import { MudLink } from './mud-link.ts';
import { Notice } from './notice.ts';
import { SearchBar } from './search-bar.ts';
import { type InputMode, loadInputMode, type Settings, saveInputMode } from './settings.ts';
import { ShareControls } from './share-ui.ts';
import { StatusBar } from './status.ts';
import type { StorageLike } from './storage.ts';
import { TerminalView } from './terminal.ts';
import { probeHost, sessionUrl, webSocketTransport } from './transport.ts';

export interface SessionViewOptions {
  hostId: string;
  /** Known from the picker; the server's hello has the final word. */
  hostName: string | undefined;
  defaultInput: InputMode | undefined;
  settings: Settings;
  storage: StorageLike | undefined;
}

/** The host's title reaches the tab at most this often. */
const TITLE_EVERY_MS = 100;
const dim = (text: string): string => `\x1b[0;2m${text}\x1b[0m`;

export class SessionView {
  #opts: SessionViewOptions;
  #settings: Settings;
  #app = byId('app', HTMLDivElement);
  #view: TerminalView;
  #conn: Connection;
  #keys: KeyRouter;
  #input: InputLine;
  #keyBar: KeyBar;
  #status = new StatusBar();
  #notice = new Notice();
  #search: SearchBar;
  #linkTip = byId('link-tip', HTMLDivElement);
  #disconnect = byId('btn-disconnect', HTMLButtonElement);
  #mode: InputMode;
  #userChoseMode: boolean;
  #hostName: string;
  #echo = new EchoState();
  /** The host dropping a live session (a MUD reboot): offer, or schedule, a reconnect. */
  #hostRetry = new BackendRetry();
  #reconnectPolicy: ReconnectPolicy = 'ask';
  #hostRetryTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the user last typed quit/logout: the host closing then is no reboot. */
  #quitAt = 0;
  #fullScreen = fullScreen(byId('btn-fullscreen', HTMLButtonElement), () => this.#mode === 'raw');
  /** The host's own default input mode (the config's `input`). */
  #hostInput: InputMode | undefined;
  #history: LineHistory;
  /**
   * False until the layout is final (the input mode is known: chosen, from the picker, or in
   * the server's hello). Until then no size is sent, so the host gets one NAWS, not two.
   */
  #sizeFinal: boolean;
  #everConnected = false;
  /** Set while "Stop retrying" closes the connection: the notice keeps its sentence. */
  #stopping = false;
  #termTitle = '';
  #titleTimer: ReturnType<typeof setTimeout> | undefined;
  #unread = false;
  #frame = byId('term-frame', HTMLDivElement);
  #url = location.href;
  #listeners: Disposable[] = [];
  #bytesTimer: ReturnType<typeof setTimeout> | undefined;
  #copyTimer: ReturnType<typeof setTimeout> | undefined;
  /** Scripting, triggers, panels and MXP, loaded on demand. */
  #mud: MudLink;
  /** The Share button and dialog, and the status bar's recording and viewer marks. */
  #share = new ShareControls({
    share: (ttl) => this.#conn.share(ttl),
    unshare: () => this.#conn.unshare(),
    notice: (text) => this.#view.writeLocal(`${dim(`[porthole] ${plainText(text, 300)}`)}\r\n`),
  });

  constructor(opts: SessionViewOptions) {
    this.#opts = opts;
    this.#settings = opts.settings;
    this.#hostName = opts.hostName ?? opts.hostId;
    const chosen = loadInputMode(opts.storage, opts.hostId);
    this.#userChoseMode = chosen !== undefined;
    this.#mode = chosen ?? opts.defaultInput ?? 'raw';
    this.#hostInput = opts.defaultInput;
    this.#sizeFinal = chosen !== undefined || opts.defaultInput !== undefined;
    this.#conn = new Connection({
      url: sessionUrl(opts.hostId, opts.settings.screenReader),
      hostId: opts.hostId,
      transport: webSocketTransport,
      sink: {
        write: (bytes, done) => {
          if (document.hidden) this.#markUnread();
          this.#mud.write(bytes, () => {
            if (this.#echo.hostEcho)
              this.#input.setMasked(this.#echo.output(this.#view.cursorLine()));
            done();
          });
        },
      },
      probe: probeHost,
      hooks: {
        state: (s) => this.#onState(s),
        hello: (hello) => {
          this.#share.hello(hello);
          this.#setHostName(hello.host.name);
          this.#reconnectPolicy = hello.host.reconnect === 'auto' ? 'auto' : 'ask';
          this.#hostInput = hello.host.input;
          this.#history.setExtraExclusions(compileNoHistory(hello.host.noHistory));
          saveHistory(this.#opts.storage, this.#opts.hostId, this.#history);
          if (!this.#userChoseMode) this.#setMode(hello.host.input, false);
          this.#sizeFinal = true;
          this.#view.fit();
          this.#conn.resize(this.#view.term.cols, this.#view.term.rows);
        },
        // Judged once the output before it is drawn: the prompt decides (echo-state.ts).
        echo: (local) =>
          this.#view.afterWrites(() =>
            this.#input.setMasked(this.#echo.setHostEcho(!local, this.#view.cursorLine())),
          ),
        gmcp: (pkg, data) => this.#mud.gmcp(pkg, data),
        msdp: (data) => this.#mud.msdp(data),
        mxp: (enabled) => this.#mud.mxp(enabled),
        prompt: () => this.#mud.prompt(),
        latency: (ms) => this.#status.setLatency(ms),
        traffic: () => this.#updateBytesSoon(),
        ended: (e) => this.#onEnded(e),
        gap: () =>
          this.#view.writeLocal(`\r\n${dim('── some output was lost while disconnected ──')}\r\n`),
        viewers: (msg) => this.#share.message(msg),
        serverError: (_code, message) =>
          this.#view.writeLocal(`\r\n${dim(`[server] ${plainText(message, 200)}`)}\r\n`),
      },
    });
    this.#keys = new KeyRouter({
      conn: this.#conn,
      view: () => this.#view,
      input: () => this.#input,
      keyBar: () => this.#keyBar,
      search: () => this.#search,
      mode: () => this.#mode,
      localEcho: () => this.#localEchoOn(),
    });
    this.#view = new TerminalView(byId('terminal', HTMLDivElement), this.#settings, {
      data: (d) => this.#keys.terminalData(d),
      binary: (d) => this.#conn.send(Uint8Array.from(d, (c) => c.charCodeAt(0) & 0xff)),
      resize: (cols, rows) => {
        if (this.#sizeFinal) this.#conn.resize(cols, rows);
      },
      title: (t) => this.#setTitle(t),
      link: (event, uri, viaOsc8) => {
        if (!this.#mud.link(event, uri)) confirmLink(event, uri, viaOsc8);
      },
      linkHover: (uri) => this.#showLinkTip(this.#mud.linkHover(uri) ?? uri),
      key: (e) => this.#keys.terminalKey(e),
    });
    this.#mud = this.#mudLink();
    const history = loadHistory(opts.storage, opts.hostId);
    this.#history = history;
    this.#input = new InputLine(history, this.#settings.keepLine, {
      submit: (line, secret) => this.#sendLine(line, secret),
      scroll: (pages) => this.#view.term.scrollPages(pages),
      historyChanged: () => saveHistory(opts.storage, opts.hostId, history),
    });
    this.#keyBar = new KeyBar(
      (key, mods) => this.#keys.barKey(key, mods),
      () => this.#focusInput(),
      {
        copy: () => void copyText(this.#view.selectionText()),
        paste: () => void this.#keys.pasteFromClipboard(),
      },
    );
    this.#search = new SearchBar(this.#view);
    this.#listeners.push(
      listen(this.#notice.reconnectButton, 'click', () => this.reconnect()),
      listen(this.#notice.stopButton, 'click', () => this.#stopRetrying()),
      listen(this.#disconnect, 'click', () => this.#toggleConnection()),
      listen(byId('btn-mode', HTMLButtonElement), 'click', () =>
        this.#setMode(this.#mode === 'line' ? 'raw' : 'line', true),
      ),
      listen(byId('btn-search', HTMLButtonElement), 'click', () => this.#search.show()),
      listenWindow('online', () => this.#retrySoon()),
      listenDocument('visibilitychange', () => {
        if (document.visibilityState !== 'visible') return;
        this.#unread = false;
        this.#renderTitle();
        this.#retrySoon();
      }),
    );
    this.#view.term.onSelectionChange(() => {
      this.#keyBar.canCopy = this.#view.term.hasSelection();
      this.#copySelectionSoon();
    });
    this.#view.term.onBell(() => this.#bell());
    this.#setHostName(this.#hostName);
    this.#setMode(this.#mode, false);
    this.applySettings(this.#settings);
    this.#status.visible = true;
    this.#updateBytes();
  }

  /** Opens the connection, with the terminal already fitted so the first resize carries the real size. */
  start(): void {
    this.#view.fit();
    if (this.#sizeFinal) this.#conn.resize(this.#view.term.cols, this.#view.term.rows);
    this.#conn.connect();
    this.#focusInput();
  }

  /** A session worth asking about before leaving: open, opening, or about to reconnect. */
  get live(): boolean {
    const s = this.#conn.state;
    return (s !== 'idle' && s !== 'closed') || this.#hostRetryTimer !== undefined;
  }

  get hostName(): string {
    return this.#hostName;
  }

  /** This session's address (to put back when leaving was cancelled). */
  get url(): string {
    return this.#url;
  }

  /** Focus where typing goes: the input line in line mode, else the terminal. */
  focus(): void {
    this.#focusInput();
  }

  reconnect(): void {
    this.#hostRetry.reset();
    this.#reconnectNow();
  }

  #reconnectNow(): void {
    clearTimeout(this.#hostRetryTimer);
    this.#hostRetryTimer = undefined;
    this.#notice.hide();
    this.#conn.connect();
    this.#focusInput();
  }

  applySettings(settings: Settings): void {
    this.#settings = settings;
    this.#view.applySettings(settings);
    this.#input.keepLine = settings.keepLine;
    const coarse = window.matchMedia('(pointer: coarse)').matches;
    this.#keyBar.visible = settings.keyBar === 'on' || (settings.keyBar === 'auto' && coarse);
  }

  openSearch(): void {
    this.#search.show();
  }

  dispose(): void {
    this.#conn.close();
    this.#mud.dispose();
    this.#share.dispose();
    clearTimeout(this.#bytesTimer);
    clearTimeout(this.#copyTimer);
    clearTimeout(this.#hostRetryTimer);
    this.#hostRetryTimer = undefined;
    this.#fullScreen.dispose();
    for (const l of this.#listeners) l.dispose();
    this.#search.dispose();
    this.#input.dispose();
    this.#keyBar.dispose();
    this.#keyBar.visible = false;
    this.#input.visible = false;
    this.#notice.hide();
    this.#status.visible = false;
    this.#linkTip.hidden = true;
    this.#view.dispose();
    delete this.#app.dataset.state;
    delete this.#app.dataset.mode;
  }

  #onState(state: ConnectionState): void {
    this.#updateBytes();
    this.#status.setState(state);
    this.#app.dataset.state = state;
    this.#disconnect.textContent = state === 'closed' ? 'Reconnect' : 'Disconnect';
    if (state === 'opening' || state === 'dialing' || state === 'connected') this.#notice.hide();
    if (state === 'connected') {
      if (this.#everConnected)
        this.#view.writeLocal(`${dim(`── Reconnected to ${this.#hostName} ──`)}\r\n`);
      this.#everConnected = true;
      this.#hostRetry.hostUp(Date.now());
      this.#view.resetWrap();
      this.#echo.reset();
      this.#input.setMasked(false);
      this.#mud.connected();
    }
  }

  #onEnded(end: Ended): void {
    this.#updateBytes();
    this.#status.setHeld(end.retryInMs === undefined ? undefined : end.heldUntil);
    this.#input.setMasked(false);
    if (this.#stopping) return;
    const ended = this.#hostEnd(end);
    this.#notice.show(ended);
    this.#view.writeLocal(`\r\n${dim(`── ${ended.sentence} ──`)}\r\n`);
    if (ended.retryInMs === undefined && !ended.deliberate) this.#notice.focus();
  }

  /** The host's own end of a live session: its sentence, and with `reconnect: auto` a countdown. */
  #hostEnd(ended: Ended): Ended {
    if (ended.deliberate) return ended;
    const now = Date.now();
    const quit = now - this.#quitAt < QUIT_WINDOW_MS;
    const verdict = this.#hostRetry.ended(ended.code, this.#reconnectPolicy, now, quit);
    if (verdict === undefined) return ended;
    if (verdict.retryInMs !== undefined) {
      this.#hostRetryTimer = setTimeout(() => this.#reconnectNow(), verdict.retryInMs);
    }
    return { ...ended, ...verdict };
  }

  #toggleConnection(): void {
    if (this.#conn.state === 'closed') this.reconnect();
    else this.#conn.close();
  }

  #stopRetrying(): void {
    clearTimeout(this.#hostRetryTimer);
    this.#hostRetryTimer = undefined;
    this.#hostRetry.reset();
    this.#stopping = true;
    this.#conn.close();
    this.#stopping = false;
    this.#notice.stopped();
  }

  /** The network came back or the tab is visible again: a pending reconnect need not wait. */
  #retrySoon(): void {
    if (this.#conn.state === 'waiting') this.reconnect();
  }

  #sendLine(line: string, secret: boolean): boolean {
    const sent = this.#mud.sendLine(line, secret);
    if (sent) this.#echo.submitted();
    if (sent && !secret && QUIT_RE.test(line)) this.#quitAt = Date.now();
    return sent;
  }

  #mudLink(): MudLink {
    return new MudLink({
      hostId: this.#opts.hostId,
      storage: this.#opts.storage,
      view: this.#view,
      embed: document.documentElement.classList.contains('embed'),
      sendCommand: (command) => {
        if (!this.#keys.sendLine(command)) return false;
        this.#view.term.scrollToBottom();
        return true;
      },
      echo: (command) => {
        // A host that echoes shows the line itself: never twice.
        if (!this.#echo.hostEcho && this.#settings.echoSent)
          this.#view.writeLocal(`${dim(plainText(command, 4000))}\r\n`);
      },
      notice: (text) => this.#view.writeLocal(`${dim(`[porthole] ${plainText(text, 300)}`)}\r\n`),
      gmcp: (pkg, data) => this.#conn.gmcp(pkg, data),
      msdp: (data) => this.#conn.msdp(data),
      prompt: (text) => this.#input.insert(text),
      focusInput: () => this.#focusInput(),
      openUrl: (event, url) => confirmLink(event, url, true, false),
    });
  }

  #setMode(mode: InputMode, byUser: boolean): void {
    this.#mode = mode;
    if (byUser) {
      this.#userChoseMode = true;
      saveInputMode(this.#opts.storage, this.#opts.hostId, mode);
    }
    this.#app.dataset.mode = mode;
    this.#input.visible = mode === 'line';
    this.#view.wordWrap = mode === 'line';
    this.#fullScreen.sync();
    if (mode === 'line') this.#mud.load();
    this.#status.setMode(mode);
    this.#view.term.options.disableStdin = false;
    this.#view.fitSoon();
    if (byUser) this.#focusInput();
  }

  /** Raw mode on a host that does not echo: typing blind, unless the setting shows the keys. */
  #localEchoOn(): boolean {
    if (this.#mode !== 'raw' || this.#echo.hostEcho) return false;
    const s = this.#settings.localEcho;
    return s === 'on' || (s === 'auto' && this.#hostInput === 'line');
  }

  #focusInput(): void {
    if (this.#mode === 'line') this.#input.focus();
    else this.#view.focus();
  }

  #setHostName(name: string): void {
    this.#hostName = plainText(name, 100);
    byId('session-host', HTMLSpanElement).textContent = this.#hostName;
    byId('session-title', HTMLDivElement).hidden = false;
    this.#status.setHost(this.#hostName);
    this.#renderTitle();
  }

  /** The host's own title (OSC 0/2), as plain text. */
  #setTitle(title: string): void {
    this.#termTitle = plainText(title, 80).trim();
    // A host can send thousands of titles a second, and each document.title costs the page a
    // layout of its tab strip: show the latest one a few times a second (issue 9).
    if (this.#titleTimer !== undefined) return;
    this.#titleTimer = setTimeout(() => {
      this.#titleTimer = undefined;
      this.#renderTitle();
    }, TITLE_EVERY_MS);
  }

  /** "● " marks output that arrived while the tab was in the background. */
  #renderTitle(): void {
    const base =
      this.#termTitle === ''
        ? `${this.#hostName} · Porthole`
        : `${this.#termTitle} · ${this.#hostName}`;
    document.title = this.#unread ? `● ${base}` : base;
  }

  #markUnread(): void {
    if (this.#unread) return;
    this.#unread = true;
    this.#renderTitle();
  }

  /** A visual bell: a short flash of the frame (no sound; the page may be one of many tabs). */
  #bell(): void {
    if (document.hidden) this.#markUnread();
    this.#frame.classList.remove('bell');
    void this.#frame.offsetWidth;
    this.#frame.classList.add('bell');
  }

  #showLinkTip(uri: string | undefined): void {
    this.#linkTip.hidden = uri === undefined;
    this.#linkTip.textContent = uri === undefined ? '' : plainText(uri, 300);
  }

  #copySelectionSoon(): void {
    clearTimeout(this.#copyTimer);
    // Search selects its matches; that is not the user choosing text to copy.
    if (this.#search.open || !this.#settings.copyOnSelect || !this.#view.term.hasSelection())
      return;
    this.#copyTimer = setTimeout(() => void copyText(this.#view.selectionText()), 200);
  }

  /** At most four updates a second, however fast the bytes flow. */
  #updateBytesSoon(): void {
    if (this.#bytesTimer !== undefined) return;
    this.#bytesTimer = setTimeout(() => {
      this.#bytesTimer = undefined;
      this.#updateBytes();
    }, 250);
  }

  #updateBytes(): void {
    const { bytesDown, bytesUp } = this.#conn.stats;
    this.#status.setBytes(bytesDown, bytesUp);
  }
}
