/**
 * The xterm.js terminal: options chosen for hostile output (SECURITY.md E1–E5), addons,
 * the renderer choice (WebGL on real GPUs only), fit, search and links.
 */
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { type IDisposable, type ILinkHandler, type ITheme, Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import type { Settings } from './settings.ts';
import { TERMINAL_THEMES } from './themes.ts';
import { touchSelection } from './touch-select.ts';
import { WordWrap } from './word-wrap.ts';

export interface TerminalViewHooks {
  /** Keystrokes, pastes and the terminal's own (numeric) reports. */
  data(data: string): void;
  binary(data: string): void;
  resize(cols: number, rows: number): void;
  title(title: string): void;
  /** A link was activated; `viaOsc8` links have text that may differ from the URL. */
  link(event: MouseEvent, uri: string, viaOsc8: boolean): void;
  linkHover(uri: string | undefined): void;
  /** Key handler hook: return false to keep xterm from handling the key. */
  key(event: KeyboardEvent): boolean;
}

export type RendererName = 'dom' | 'webgl';

/** 'software' covers SwiftShader, llvmpipe and friends: slower than the DOM renderer (TOOLCHAIN Part 2). */
export function detectGpu(): 'hardware' | 'software' | 'none' {
  try {
    const canvas = document.createElement('canvas');
    const gl = canvas.getContext('webgl2');
    if (gl === null) return 'none';
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(
      gl.getParameter(info === null ? gl.RENDERER : info.UNMASKED_RENDERER_WEBGL),
    );
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer)
      ? 'software'
      : 'hardware';
  } catch {
    return 'none';
  }
}

const FONT_FAMILY =
  '"JetBrains Mono", "Cascadia Mono", "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace';

export class TerminalView {
  readonly term: Terminal;
  #fit = new FitAddon();
  #search = new SearchAddon();
  #container: HTMLElement;
  #disposables: IDisposable[] = [];
  #webgl: IDisposable | undefined;
  #renderer: RendererName = 'dom';
  #observer: ResizeObserver;
  #fitQueued = false;
  /** Line mode: words are not cut at the right edge (word-wrap.ts). */
  #wrap = new WordWrap();
  #wrapOn = false;
  #decoder = new TextDecoder();

  constructor(container: HTMLElement, settings: Settings, hooks: TerminalViewHooks) {
    this.#container = container;
    const linkHandler: ILinkHandler = {
      activate: (event, uri) => hooks.link(event, uri, true),
      hover: (_event, uri) => hooks.linkHover(uri),
      leave: () => hooks.linkHover(undefined),
      allowNonHttpProtocols: false,
    };
    this.term = new Terminal({
      allowProposedApi: false,
      // Answer no window or title reports: a title echoed as input is a command injection (E4).
      windowOptions: {},
      fontFamily: FONT_FAMILY,
      fontSize: settings.fontSize,
      lineHeight: 1.15,
      scrollback: settings.scrollback,
      screenReaderMode: settings.screenReader,
      cursorBlink: true,
      cursorStyle: 'block',
      cursorInactiveStyle: 'outline',
      drawBoldTextInBrightColors: true,
      macOptionIsMeta: true,
      rightClickSelectsWord: true,
      linkHandler,
      ...this.#themeOptions(settings),
    });
    const term = this.term;
    term.loadAddon(this.#fit);
    term.loadAddon(this.#search);
    term.loadAddon(
      new WebLinksAddon((event, uri) => hooks.link(event, uri, false), {
        hover: (_event, text) => hooks.linkHover(text),
        leave: () => hooks.linkHover(undefined),
      }),
    );
    this.#loadUnicode11();
    this.#guardParser();
    this.#disposables.push(
      term.onData((d) => hooks.data(d)),
      term.onBinary((d) => hooks.binary(d)),
      term.onResize(({ cols, rows }) => {
        this.#wrap.width = cols;
        hooks.resize(cols, rows);
      }),
      term.onTitleChange((t) => hooks.title(t)),
    );
    term.attachCustomKeyEventHandler((event) => hooks.key(event));
    // The browser's copy (Ctrl+C / Cmd+C, the context menu) gets the same concealed-free text:
    // captured here before xterm's own handler puts getSelection() on the clipboard.
    const onCopy = (e: ClipboardEvent): void => {
      if (!term.hasSelection() || e.clipboardData === null) return;
      e.clipboardData.setData('text/plain', this.selectionText());
      e.preventDefault();
      e.stopImmediatePropagation();
    };
    container.addEventListener('copy', onCopy, true);
    this.#disposables.push({ dispose: () => container.removeEventListener('copy', onCopy, true) });
    term.open(container);
    this.#disposables.push(touchSelection(container, term));
    this.#container.dataset.renderer = 'dom';
    this.#observer = new ResizeObserver(() => this.fitSoon());
    this.#observer.observe(container);
    this.fit();
    if (settings.renderer === 'auto') void this.#maybeWebgl();
  }

  get renderer(): RendererName {
    return this.#renderer;
  }

  /** Word wrap for line-mode hosts: on from the next byte; off passes bytes through untouched. */
  set wordWrap(on: boolean) {
    if (on && !this.#wrapOn) {
      this.#wrap.width = this.term.cols;
      this.#decoder = new TextDecoder();
    }
    this.#wrapOn = on;
  }

  /** A new connection: the host starts at column 0, and cursor addressing is forgiven. */
  resetWrap(): void {
    this.#wrap.reset();
  }

  /** Host output (UTF-8 bytes or text); `done` fires once xterm has parsed it (the flow-control ack). */
  write(data: Uint8Array | string, done: () => void): void {
    if (!this.#wrapOn) {
      this.term.write(data, done);
      return;
    }
    const text = typeof data === 'string' ? data : this.#decoder.decode(data, { stream: true });
    this.term.write(this.#wrap.push(text), done);
  }

  /**
   * The selected text without concealed cells (SGR 8): a host can hide `; curl … | sh` behind
   * a visible line, and xterm's own getSelection() copies it (issue 9). Lines that wrap join
   * without a line break; trailing blanks are trimmed, as xterm does.
   */
  selectionText(): string {
    const range = this.term.getSelectionPosition();
    if (range === undefined) return '';
    const buf = this.term.buffer.active;
    const cell = buf.getNullCell();
    let text = '';
    for (let y = range.start.y; y <= range.end.y; y++) {
      const line = buf.getLine(y);
      if (line === undefined) break;
      const to = y === range.end.y ? range.end.x : this.term.cols;
      let row = '';
      for (let x = y === range.start.y ? range.start.x : 0; x < to; x++) {
        const c = line.getCell(x, cell);
        if (c === undefined) break;
        if (c.getWidth() === 0 || c.isInvisible()) continue;
        row += c.getChars() || ' ';
      }
      if (y < range.end.y && buf.getLine(y + 1)?.isWrapped === true) text += row;
      else text += y === range.end.y ? row.trimEnd() : `${row.trimEnd()}\n`;
    }
    return text;
  }

  /** The text left of the cursor on its row: the host's prompt, when it sent one. */
  cursorLine(): string {
    const b = this.term.buffer.active;
    return b.getLine(b.baseY + b.cursorY)?.translateToString(true, 0, b.cursorX) ?? '';
  }

  /** Calls `fn` once everything written so far has been parsed. */
  afterWrites(fn: () => void): void {
    this.term.write('', fn);
  }

  /** Text that did not come from the host (notices, local echo). */
  writeLocal(text: string): void {
    // Through the wrap too, so its idea of the cursor column stays true.
    this.term.write(this.#wrapOn ? this.#wrap.push(text) : text);
  }

  fit(): void {
    if (this.#container.clientWidth === 0 || this.#container.clientHeight === 0) return;
    try {
      this.#fit.fit();
    } catch {
      // The terminal is not attached or not measurable yet; the next resize fits it.
    }
  }

  /** Coalesces bursts of resize events into one fit per frame. */
  fitSoon(): void {
    if (this.#fitQueued) return;
    this.#fitQueued = true;
    requestAnimationFrame(() => {
      this.#fitQueued = false;
      this.fit();
    });
  }

  focus(): void {
    this.term.focus();
  }

  applySettings(settings: Settings): void {
    const o = this.term.options;
    o.fontSize = settings.fontSize;
    o.scrollback = settings.scrollback;
    o.screenReaderMode = settings.screenReader;
    const { theme, minimumContrastRatio } = this.#themeOptions(settings);
    o.theme = theme;
    o.minimumContrastRatio = minimumContrastRatio;
    if (settings.renderer === 'dom' && this.#webgl !== undefined) this.#dropWebgl();
    else if (settings.renderer === 'auto' && this.#webgl === undefined) void this.#maybeWebgl();
    this.fitSoon();
  }

  findNext(query: string, caseSensitive: boolean): boolean {
    return this.#search.findNext(query, { caseSensitive });
  }

  findPrevious(query: string, caseSensitive: boolean): boolean {
    return this.#search.findPrevious(query, { caseSensitive });
  }

  clearSearch(): void {
    this.#search.clearDecorations();
    this.term.clearSelection();
  }

  dispose(): void {
    this.#observer.disconnect();
    for (const d of this.#disposables) d.dispose();
    this.#disposables = [];
    this.#webgl = undefined;
    this.term.dispose();
  }

  #themeOptions(settings: Settings): { theme: ITheme; minimumContrastRatio: number } {
    const spec = TERMINAL_THEMES[settings.theme];
    return { theme: spec.theme, minimumContrastRatio: spec.minimumContrastRatio };
  }

  /** Unicode 11 widths need `term.unicode`, a proposed API: allow it only for this setup (SECURITY.md keeps it off). */
  #loadUnicode11(): void {
    const o = this.term.options;
    o.allowProposedApi = true;
    try {
      this.term.loadAddon(new Unicode11Addon());
      this.term.unicode.activeVersion = '11';
    } finally {
      o.allowProposedApi = false;
    }
  }

  /** Sequences that must never change anything or answer the host (SECURITY.md E1, E2, E4). */
  #guardParser(): void {
    const parser = this.term.parser;
    const swallow = (): boolean => true;
    this.#disposables.push(
      // OSC 52: clipboard write and read. Without the clipboard addon xterm ignores it; say so explicitly.
      parser.registerOscHandler(52, swallow),
      // DECRQSS: a string report the host could use to type into its own input.
      parser.registerDcsHandler({ intermediates: '$', final: 'q' }, swallow),
    );
  }

  async #maybeWebgl(): Promise<void> {
    if (detectGpu() !== 'hardware') return;
    try {
      const { WebglAddon } = await import('@xterm/addon-webgl');
      if (this.#webgl !== undefined) return;
      const addon = new WebglAddon();
      addon.onContextLoss(() => this.#dropWebgl());
      this.term.loadAddon(addon);
      this.#webgl = addon;
      this.#renderer = 'webgl';
      this.#container.dataset.renderer = 'webgl';
    } catch {
      this.#dropWebgl();
    }
  }

  #dropWebgl(): void {
    const addon = this.#webgl;
    this.#webgl = undefined;
    this.#renderer = 'dom';
    this.#container.dataset.renderer = 'dom';
    addon?.dispose();
  }
}
