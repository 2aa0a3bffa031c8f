/**
 * The spectator page, `/watch/TOKEN`: the owner's terminal, live and read-only. It opens
 * `ws?watch=TOKEN` with the same Connection as the session page (reconnects included) but
 * sends nothing of its own: the terminal takes no input, and the server would close a
 * spectator that typed (1008).
 */
import type { Terminal } from '@xterm/xterm';
import { Connection, type ConnectionState, Sentences } from './connection.ts';
import { byId, plainText } from './dom.ts';
import { adoptTokenFromUrl, currentToken } from './session-token.ts';
import { webSocketTransport } from './transport.ts';
import { viewerTerminal } from './viewer-term.ts';

const LABELS: Readonly<Record<ConnectionState, string>> = {
  idle: 'Idle',
  opening: 'Connecting…',
  dialing: 'Joining…',
  connected: 'Watching live',
  waiting: 'Reconnecting…',
  closed: 'Ended',
};

adoptTokenFromUrl();
const token = /\/watch\/([A-Za-z0-9._-]{1,64})\/?$/.exec(location.pathname)?.[1] ?? '';
const state = byId('status-state', HTMLSpanElement);
const stateText = byId('status-state-text', HTMLSpanElement);
const detail = byId('viewer-detail', HTMLSpanElement);
const title = byId('viewer-title', HTMLSpanElement);
const rec = byId('status-rec', HTMLSpanElement);
const term: Terminal = viewerTerminal(byId('terminal', HTMLDivElement), 80, 24);

function watchUrl(): string {
  const auth = currentToken();
  const query = `ws?watch=${encodeURIComponent(token)}${auth === undefined ? '' : `&token=${encodeURIComponent(auth)}`}`;
  const url = new URL(query, document.baseURI);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

const conn = new Connection({
  url: watchUrl(),
  hostId: '',
  transport: webSocketTransport,
  sink: { write: (bytes, done) => term.write(bytes, done) },
  // A refused watch is an unknown or expired link (404) far more often than anything else.
  probe: async () => 'unknown-host',
  hooks: {
    state: (s) => {
      state.dataset.state = s;
      stateText.textContent = LABELS[s];
      if (s === 'opening') term.reset();
    },
    hello: (hello) => {
      const name = plainText(hello.host.name, 100);
      title.textContent = name;
      document.title = `Watching ${name} · Porthole`;
      if (hello.size !== undefined) term.resize(hello.size.cols, hello.size.rows);
      rec.textContent = hello.recording === true ? '● REC' : '';
      detail.textContent = 'Read-only: the owner types, you watch.';
    },
    viewers: (msg) => {
      if (msg.type === 'size') term.resize(msg.cols, msg.rows);
    },
    ended: (e) => {
      rec.textContent = '';
      detail.textContent =
        e.sentence === Sentences.unknownHost
          ? 'This watch link is unknown or has expired.'
          : plainText(e.sentence, 200);
    },
  },
});
conn.connect();
