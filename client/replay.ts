/**
 * The replay page, `/replay/ID`: fetches the recording (admins only; the server says so
 * otherwise), and plays it in a read-only terminal with play/pause, speed and seek.
 */
import type { Terminal } from '@xterm/xterm';
import { type Cast, formatTime, frameAt, parseCast, parseSize } from './cast.ts';
import { byId, h, listen, plainText } from './dom.ts';
import { adoptTokenFromUrl, authHeaders } from './session-token.ts';
import { formatBytes } from './status.ts';
import { viewerTerminal } from './viewer-term.ts';

/** How often playback advances (and the longest a frame waits). */
const STEP_MS = 33;

adoptTokenFromUrl();
const id = /\/replay\/([A-Za-z0-9_-]{1,128})\/?$/.exec(location.pathname)?.[1] ?? '';
const playerBar = byId('player-bar', HTMLElement);
const playBtn = byId('player-play', HTMLButtonElement);
const seek = byId('player-seek', HTMLInputElement);
const time = byId('player-time', HTMLSpanElement);
const speedSel = byId('player-speed', HTMLSelectElement);
const download = byId('player-download', HTMLAnchorElement);
const detail = byId('viewer-detail', HTMLSpanElement);
const title = byId('viewer-title', HTMLSpanElement);

class Player {
  #cast: Cast;
  #term: Terminal;
  #pos = 0;
  #next = 0;
  #playing = false;
  #last = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(cast: Cast, term: Terminal) {
    this.#cast = cast;
    this.#term = term;
    seek.max = String(cast.duration);
    seek.disabled = false;
    playBtn.disabled = false;
    this.#show();
  }

  get playing(): boolean {
    return this.#playing;
  }

  toggle(): void {
    if (this.#playing) this.pause();
    else this.play();
  }

  play(): void {
    if (this.#pos >= this.#cast.duration) this.seek(0);
    this.#playing = true;
    this.#last = performance.now();
    playBtn.textContent = 'Pause';
    this.#step();
  }

  pause(): void {
    this.#playing = false;
    clearTimeout(this.#timer);
    playBtn.textContent = 'Play';
  }

  /** Rebuilds the screen at `t`: a reset, then everything output until then in one write. */
  seek(t: number): void {
    const frame = frameAt(this.#cast, t);
    this.#term.reset();
    this.#term.resize(frame.cols, frame.rows);
    this.#term.write(frame.text);
    this.#pos = t;
    this.#next = frame.next;
    this.#show();
  }

  #step = (): void => {
    if (!this.#playing) return;
    const now = performance.now();
    const speed = Number(speedSel.value) || 1;
    this.#pos = Math.min(this.#cast.duration, this.#pos + ((now - this.#last) / 1000) * speed);
    this.#last = now;
    this.#emitUntil(this.#pos);
    this.#show();
    if (this.#pos >= this.#cast.duration) this.pause();
    else this.#timer = setTimeout(this.#step, STEP_MS);
  };

  #emitUntil(t: number): void {
    const events = this.#cast.events;
    let out = '';
    for (; this.#next < events.length; this.#next++) {
      const e = events[this.#next];
      if (e === undefined || e[0] > t) break;
      if (e[1] === 'o') out += e[2];
      else if (e[1] === 'r') {
        const size = parseSize(e[2]);
        if (out !== '') this.#term.write(out);
        out = '';
        if (size !== undefined) this.#term.resize(size.cols, size.rows);
      }
    }
    if (out !== '') this.#term.write(out);
  }

  #show(): void {
    seek.value = String(this.#pos);
    time.textContent = `${formatTime(this.#pos)} / ${formatTime(this.#cast.duration)}`;
  }
}

const REFUSALS: Readonly<Record<number, string>> = {
  401: 'Sign in to watch recordings.',
  403: 'Recordings are only for the server’s admins.',
  404: 'There is no such recording (it may have been deleted).',
};

async function start(): Promise<void> {
  const res = await fetch(`api/recordings/${encodeURIComponent(id)}`, {
    headers: authHeaders(),
    cache: 'no-store',
  });
  if (!res.ok) {
    detail.textContent = REFUSALS[res.status] ?? `The server answered ${res.status}.`;
    return;
  }
  const text = await res.text();
  const cast = parseCast(text);
  if (cast instanceof Error) {
    detail.textContent = `This recording cannot be played: ${cast.message}.`;
    return;
  }
  const name = plainText(cast.header.title ?? id, 120);
  title.textContent = name;
  document.title = `Replay: ${name} · Porthole`;
  if (cast.header.timestamp !== undefined)
    detail.textContent = `Recorded ${new Date(cast.header.timestamp * 1000).toLocaleString()}`;
  download.href = URL.createObjectURL(new Blob([text], { type: 'application/x-asciicast' }));
  download.download = `${id}.cast`;
  download.hidden = false;
  const term = viewerTerminal(
    byId('terminal', HTMLDivElement),
    cast.header.width,
    cast.header.height,
  );
  const player = new Player(cast, term);
  listen(playBtn, 'click', () => player.toggle());
  listen(seek, 'input', () => player.seek(Number(seek.value)));
  document.documentElement.dataset.ready = 'true';
  if (new URLSearchParams(location.search).get('autoplay') !== '0') player.play();
}

interface Listed {
  id: string;
  host: string;
  title: string;
  startedAt: number;
  bytes: number;
  live: boolean;
}

/** `/replay/` without an id: the list of recordings, newest first, each a link to its player. */
async function list(): Promise<void> {
  playerBar.hidden = true;
  byId('player-frame', HTMLDivElement).hidden = true;
  byId('rec-list', HTMLElement).hidden = false;
  title.textContent = 'Recordings';
  const res = await fetch('api/recordings', { headers: authHeaders(), cache: 'no-store' });
  const count = byId('rec-count', HTMLParagraphElement);
  if (!res.ok) {
    count.textContent = REFUSALS[res.status] ?? `The server answered ${res.status}.`;
    return;
  }
  const { recordings } = (await res.json()) as { recordings: Listed[] };
  count.textContent =
    recordings.length === 0
      ? 'No recordings yet.'
      : `${recordings.length} recordings, newest first.`;
  const rows = byId('rec-rows', HTMLTableSectionElement);
  for (const r of recordings) {
    const link = h('a', {
      text: plainText(r.title, 120),
      attrs: { href: `replay/${encodeURIComponent(r.id)}` },
    });
    const when = new Date(r.startedAt).toLocaleString();
    const size = r.live ? `${formatBytes(r.bytes)} (recording)` : formatBytes(r.bytes);
    const cell = (text: string): HTMLTableCellElement => h('td', { text });
    rows.append(h('tr', {}, [h('td', {}, [link]), cell(r.host), cell(when), cell(size)]));
  }
  document.documentElement.dataset.ready = 'true';
}

void (id === '' ? list() : start()).catch((err: unknown) => {
  detail.textContent = `Could not load the recording: ${plainText(String(err), 200)}`;
});
