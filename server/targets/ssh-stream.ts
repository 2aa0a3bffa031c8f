/**
 * An SSH session as the bridge's backend stream (issue 15): ssh2 runs the protocol on the
 * dialled socket; until the shell is open this object is the terminal of the login (host
 * key check, prompts answered by typing), then it relays the shell channel with its pause,
 * resume and write backpressure, and turns resizes into window-change requests. Only a
 * shell with a PTY is ever opened: no agent or port forwarding, no X11, no SFTP (K8).
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { Client, type ClientChannel } from 'ssh2';
import type { Logger } from '../common/log.ts';
import {
  type HostKeyPolicy,
  knownHostsName,
  pinnedKeyTypes,
  verifyHostKey,
} from './ssh-host-key.ts';
import { type LoginSettings, SshLogin } from './ssh-login.ts';
import { LinePrompt } from './ssh-prompt.ts';

export interface SshSettings extends LoginSettings {
  host: string;
  port: number;
  hostKeys: HostKeyPolicy;
  terminalType: string;
  /** From TCP connect until the server asks us to log in. */
  handshakeTimeoutMs: number;
  log: Logger;
  session: string;
}

/** Like sshd's LoginGraceTime: typing a password may take a while, not forever. */
const LOGIN_TIMEOUT_MS = 120_000;
/** The PTY waits this long for the browser's size, then opens at 80 × 24. */
const SIZE_WAIT_MS = 3000;
/** Keystrokes typed after login, before the shell is open. */
const TYPE_AHEAD_BYTES = 64 * 1024;

type Phase = 'handshake' | 'login' | 'opening' | 'shell' | 'closed';

const RSA_ALGORITHMS = ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] as const;

/** The SSH wire blob starts with its key type (RFC 4253 §6.6). */
function keyType(blob: Buffer): string {
  return blob.length < 4 ? '' : blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1');
}

export class SshStream extends EventEmitter {
  #settings: SshSettings;
  #socket: Socket;
  #client = new Client();
  #login: SshLogin;
  #channel: ClientChannel | undefined;
  #phase: Phase = 'handshake';
  #prompt: { line: LinePrompt; done: (answer: string | undefined) => void } | undefined;
  #typeAhead: Buffer[] = [];
  #typeAheadBytes = 0;
  #size: { cols: number; rows: number } | undefined;
  #paused = false;
  #hostKeyRefusal: string | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(socket: Socket, settings: SshSettings) {
    super();
    this.#socket = socket;
    this.#settings = settings;
    this.#login = new SshLogin(settings, {
      show: (text) => this.#show(text),
      ask: (prompt, visible) => this.#ask(prompt, visible),
    });
  }

  /** Starts the SSH handshake; call once the bridge listens for this stream's events. */
  start(): void {
    if (this.#phase === 'closed') return;
    const { host, port, hostKeys, handshakeTimeoutMs } = this.#settings;
    const types = pinnedKeyTypes(hostKeys, host, port).flatMap((t) =>
      t === 'ssh-rsa' ? [...RSA_ALGORITHMS] : [t],
    );
    this.#client.on('banner', (text: string) => this.#show(text));
    this.#client.on('ready', () => this.#onReady());
    this.#client.on('error', (err: Error & { level?: string }) => this.#onError(err));
    this.#client.on('close', () => this.#close());
    this.#arm(handshakeTimeoutMs, () =>
      this.#fail(`SSH handshake with ${knownHostsName(host, port)} timed out`),
    );
    try {
      this.#client.connect({
        sock: this.#socket,
        // ssh2 wants a name up front; the authHandler gives the real one with each attempt.
        username: this.#settings.user ?? '',
        // Our own timers bound the handshake and the login; ssh2's would also cut a slow typist.
        readyTimeout: 0,
        hostVerifier: (blob: Buffer) => this.#verify(blob),
        authHandler: (methods, partial, next) => {
          this.#onLoginStep();
          this.#login.handler(methods, partial, next);
        },
        ...(types.length === 0 ? {} : { algorithms: { serverHostKey: types as never } }),
      });
    } catch (err) {
      // Called from a timer: a throw would take the process down, not just this session.
      this.#fail(`SSH: ${(err as Error).message}`);
    }
  }

  #verify(blob: Buffer): boolean {
    const { host, port, hostKeys, log, session } = this.#settings;
    const verdict = verifyHostKey(hostKeys, host, port, keyType(blob), blob);
    if (!verdict.ok) {
      this.#hostKeyRefusal = verdict.reason;
      log.warn({ event: 'ssh.hostkey', session, detail: verdict.reason }, 'SSH host key refused');
    } else if (verdict.learned)
      log.info(
        {
          event: 'ssh.hostkey',
          session,
          file: hostKeys.knownHostsFile,
          host: knownHostsName(host, port),
        },
        'SSH host key trusted on first use and recorded',
      );
    return verdict.ok;
  }

  #onLoginStep(): void {
    if (this.#phase !== 'handshake') return;
    this.#phase = 'login';
    this.#arm(LOGIN_TIMEOUT_MS, () => {
      this.#show('\r\nPorthole: login timed out.\r\n');
      this.#close();
    });
  }

  #onReady(): void {
    const { log, session } = this.#settings;
    log.info(
      { event: 'ssh.login', session, user: this.#login.user, method: this.#login.method },
      'SSH login accepted',
    );
    this.#phase = 'opening';
    if (this.#size !== undefined) this.#openShell();
    else this.#arm(SIZE_WAIT_MS, () => this.#openShell());
  }

  #openShell(): void {
    if (this.#phase !== 'opening') return;
    clearTimeout(this.#timer);
    this.#phase = 'shell';
    const { cols, rows } = this.#size ?? { cols: 80, rows: 24 };
    const pty = { term: this.#settings.terminalType, cols, rows, width: 0, height: 0 };
    this.#client.shell(pty, (err, channel) => {
      if (err !== undefined && err !== null) {
        this.#fail(`the SSH server refused a shell: ${err.message}`);
        return;
      }
      this.#attachChannel(channel);
    });
  }

  #attachChannel(channel: ClientChannel): void {
    if (this.#phase === 'closed') {
      channel.close();
      return;
    }
    this.#channel = channel;
    channel.on('data', (chunk: Buffer) => this.emit('data', chunk));
    channel.stderr.on('data', (chunk: Buffer) => this.emit('data', chunk));
    channel.on('drain', () => this.emit('drain'));
    channel.on('close', () => this.#client.end());
    if (this.#paused) channel.pause();
    if (this.#size !== undefined) channel.setWindow(this.#size.rows, this.#size.cols, 0, 0);
    if (this.#typeAheadBytes > 0) channel.write(Buffer.concat(this.#typeAhead));
    this.#typeAhead = [];
    this.#typeAheadBytes = 0;
  }

  #onError(err: Error & { level?: string }): void {
    if (this.#phase === 'closed') return;
    const refusal = this.#hostKeyRefusal;
    if (refusal !== undefined) {
      this.#show(`\r\nPorthole: ${refusal}. The connection was refused.\r\n`);
      this.#fail(refusal);
    } else if (err.level === 'client-authentication') {
      if (!this.#login.exhausted) this.#show('Permission denied.\r\n');
      this.#settings.log.info(
        { event: 'ssh.login', session: this.#settings.session, user: this.#login.user },
        'SSH login failed',
      );
      this.#close();
    } else this.#fail(`SSH: ${err.message}`);
  }

  #ask(prompt: string, visible: boolean): Promise<string | undefined> {
    this.#show(prompt);
    return new Promise((done) => {
      this.#prompt = { line: new LinePrompt(visible), done };
    });
  }

  #answer(chunk: Uint8Array): void {
    const prompt = this.#prompt;
    if (prompt === undefined) return; // typed while the server thinks: dropped, like a tty in no-echo
    for (const result of prompt.line.feed(chunk)) {
      if (result.kind === 'echo') this.emit('data', result.bytes);
      else if (result.kind === 'answer') {
        this.emit('data', result.echo);
        this.#prompt = undefined;
        prompt.done(result.text);
      } else {
        this.#show('^C\r\n');
        this.#prompt = undefined;
        prompt.done(undefined);
        this.#close();
      }
    }
  }

  #show(text: string): void {
    if (this.#phase !== 'closed') this.emit('data', Buffer.from(text.replace(/\r?\n/g, '\r\n')));
  }

  #arm(ms: number, fire: () => void): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(fire, ms);
  }

  /** Ends with an error: the bridge closes with 1014 and logs the message. */
  #fail(message: string): void {
    if (this.#phase === 'closed') return;
    const err = new Error(message);
    if (this.listenerCount('error') > 0) this.emit('error', err);
    this.#close();
  }

  #close(): void {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    clearTimeout(this.#timer);
    this.#prompt?.done(undefined);
    this.#prompt = undefined;
    this.#typeAhead = [];
    this.#client.end();
    this.#socket.destroy();
    this.emit('end');
    this.emit('close');
  }

  // ---- BackendStream ----

  write(chunk: Uint8Array): boolean {
    if (this.#phase === 'shell' && this.#channel !== undefined) return this.#channel.write(chunk);
    if (this.#phase === 'login') this.#answer(chunk);
    else if (
      (this.#phase === 'opening' || this.#phase === 'shell') &&
      this.#typeAheadBytes < TYPE_AHEAD_BYTES
    ) {
      this.#typeAhead.push(Buffer.from(chunk));
      this.#typeAheadBytes += chunk.length;
    }
    return true;
  }

  /** The browser's terminal size: the PTY's at open, a window-change after. */
  resize(cols: number, rows: number): void {
    this.#size = { cols, rows };
    if (this.#channel !== undefined) this.#channel.setWindow(rows, cols, 0, 0);
    else if (this.#phase === 'opening') this.#openShell();
  }

  pause(): void {
    this.#paused = true;
    this.#channel?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#channel?.resume();
  }

  end(): void {
    this.#channel?.end();
    this.#client.end();
  }

  destroy(): void {
    this.#close();
  }

  get destroyed(): boolean {
    return this.#phase === 'closed';
  }

  get writableLength(): number {
    return this.#channel?.writableLength ?? this.#typeAheadBytes;
  }
}
