/**
 * `--workers N`: a resume or a spectator must reach the worker that holds its session. Resume
 * tokens and watch links of a worker start with its cluster id (`2.` + 128 random bits). A
 * worker that receives a `resume=` or `watch=` token of another hands the connection over: the request head goes to the primary over IPC with
 * the socket itself, the primary passes both on to the owning worker, and that worker runs
 * the upgrade as if it had accepted the connection (admission included). TLS connections
 * cannot move (their state lives in this process): they are refused as unknown (4020) and
 * the client starts a fresh session.
 */
import cluster from 'node:cluster';
import { randomFillSync } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../common/log.ts';

/** The IPC message between a worker, the primary and the owning worker. */
export interface RoutedResume {
  porthole: 'resume-route';
  to: number;
  method: string;
  url: string;
  httpVersion: string;
  headers: IncomingMessage['headers'];
  head: string;
}

/** Requests that came over IPC: never routed again (no loops). */
const routed = new WeakSet<IncomingMessage>();

/**
 * The prefix this process puts on its resume tokens and watch links: the configured
 * `instanceId` (for a proxy in front of several instances), then the worker's cluster id.
 */
export function tokenPrefix(instanceId?: string): string {
  const worker = cluster.worker === undefined ? '' : `${cluster.worker.id}.`;
  return instanceId === undefined ? worker : `${instanceId}.${worker}`;
}

/**
 * Resume tokens' entropy, drawn from the CSPRNG 4 KiB at a time as randomUUID() does: one
 * randomFillSync per 256 sessions instead of one each (about 4 % of a session's set-up CPU
 * in a --cpu-prof of conns). Bytes are zeroed once used.
 */
const entropy = Buffer.alloc(4096);
let entropyAt = entropy.length;

/** A fresh resume token: this process's prefix and 16 random bytes. */
export function newResumeToken(instanceId?: string): string {
  if (entropyAt + 16 > entropy.length) {
    randomFillSync(entropy);
    entropyAt = 0;
  }
  const text = `${tokenPrefix(instanceId)}${entropy.toString('base64url', entropyAt, entropyAt + 16)}`;
  entropy.fill(0, entropyAt, entropyAt + 16);
  entropyAt += 16;
  return text;
}

/** The owning worker's id in a token (`a.2.xxx` or `2.xxx`), if it names one. */
const OWNER = /^(?:[a-z][a-z0-9-]{0,31}\.)?(\d{1,3})\./;

/** True when the request was handed to another worker (the caller must not touch it). */
export function routeResume(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  log: Logger,
): boolean {
  const self = cluster.worker;
  if (self === undefined || routed.has(req) || process.send === undefined) return false;
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const token = query.get('resume') ?? query.get('watch');
  const owner = OWNER.exec(token ?? '')?.[1];
  if (owner === undefined || Number(owner) === self.id) return false;
  // Only a plain TCP socket can be passed (not TLS, not a stream an embedder made).
  if (!(socket instanceof Socket) || socket.constructor !== Socket) return false;
  const msg: RoutedResume = {
    porthole: 'resume-route',
    to: Number(owner),
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    httpVersion: req.httpVersion,
    headers: req.headers,
    head: head.toString('base64'),
  };
  log.info(
    {
      event: query.has('resume') ? 'session.resume-routed' : 'share.watch-routed',
      to: msg.to,
      from: self.id,
    },
    query.has('resume') ? 'resume handed to its worker' : 'spectator handed to its worker',
  );
  process.send(msg, socket);
  return true;
}

/** In a worker: accept connections handed over by the primary and run them as upgrades. */
export function acceptRoutedResumes(
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
): void {
  if (cluster.worker === undefined) return;
  process.on('message', (msg: Partial<RoutedResume>, handle: unknown) => {
    if (msg?.porthole !== 'resume-route' || !(handle instanceof Socket)) return;
    const req = new IncomingMessage(handle);
    req.method = msg.method ?? 'GET';
    req.url = msg.url ?? '/';
    req.httpVersion = msg.httpVersion ?? '1.1';
    req.headers = msg.headers ?? {};
    routed.add(req);
    upgrade(req, handle, Buffer.from(msg.head ?? '', 'base64'));
  });
}

/** In the primary: pass a routed resume on to its worker (back to the sender if it is gone). */
export function forwardRoutedResumes(): void {
  cluster.on('message', (worker, msg: Partial<RoutedResume>, handle: unknown) => {
    if (msg?.porthole !== 'resume-route' || !(handle instanceof Socket)) return;
    const target = cluster.workers?.[msg.to ?? -1] ?? worker;
    target.send(msg, handle);
  });
}
