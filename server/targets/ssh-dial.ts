/**
 * `ssh://` hosts: what is read at start (the operator's key, the host key policy) and the
 * dial itself, a TCP connection handed to an SshStream that runs SSH on it. The dial
 * resolves at TCP connect: the host key check and the login happen inside the stream, so
 * their messages reach the terminal (K7, K9).
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Logger } from '../common/log.ts';
import type { HostConfig } from '../config/config.ts';
import { AUTH_USER } from '../config/ssh-schema.ts';
import type { HostKeyPolicy } from './ssh-host-key.ts';
import { SshStream } from './ssh-stream.ts';

export interface SshHostSettings {
  hostKeys: HostKeyPolicy;
  privateKey: Buffer | undefined;
  /** The configured `user`: a name, `$auth`, or undefined (asked in the terminal). */
  user: string | undefined;
}

/** Reads the host's files once (the config schema has checked they are readable). */
export function sshSettings(config: HostConfig): SshHostSettings {
  return {
    hostKeys: { pins: config.hostKey, knownHostsFile: config.knownHostsFile },
    privateKey:
      config.privateKeyFile === undefined ? undefined : readFileSync(config.privateKeyFile),
    user: config.user,
  };
}

export interface SshDialContext {
  host: string;
  port: number;
  /** The user Porthole's auth established (for `user: $auth`). */
  principal: string;
  terminalType: string;
  handshakeTimeoutMs: number;
  log: Logger;
  session: string;
}

/** An SshStream on a connected socket; its handshake starts once the bridge listens. */
export function sshOver(socket: Socket, settings: SshHostSettings, ctx: SshDialContext): SshStream {
  const user = settings.user === AUTH_USER ? ctx.principal : settings.user;
  const stream = new SshStream(socket, {
    ...ctx,
    hostKeys: settings.hostKeys,
    user,
    privateKey: settings.privateKey,
    hostLabel: ctx.host,
  });
  // The bridge attaches its listeners when the dial's promise settles; start after that.
  setImmediate(() => stream.start());
  return stream;
}
