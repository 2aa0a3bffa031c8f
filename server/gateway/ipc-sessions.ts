/**
 * The admin view under `--workers`: each worker holds its own sessions, so a worker asked for
 * the list (or to end one) asks the primary, which asks every worker, merges the answers and
 * replies. A worker that does not answer in time is left out (the list is then partial,
 * never stuck).
 */
import type { AdminSession } from '../../shared/api.ts';
import type { StateChannel } from './ipc-state.ts';

/** Where the sessions are: this process's registry, or every worker's (cluster). */
export interface SessionDirectory {
  list(): Promise<AdminSession[]>;
  /** Ends the session; resolves false if no process has it. */
  end(id: string): Promise<boolean>;
}

const TAG = 'porthole.admin';
/** Workers answer from memory; one that takes longer is busy or gone. */
const ANSWER_TIMEOUT_MS = 3000;

type Op = { op: 'list' } | { op: 'end'; session: string };
/** Worker → primary: a request; primary → worker: its merged answer (`result`). */
type Message = { tag: typeof TAG; id: number; kind: 'ask' | 'answer' | 'request' | 'reply' } & (
  | Op
  | { result: unknown }
);

const isAdmin = (m: unknown): m is Message & Record<string, unknown> =>
  typeof m === 'object' && m !== null && (m as { tag?: unknown }).tag === TAG;

/** True for a message of this protocol (the primary passes these to `AdminHost`). */
export function isAdminMessage(m: unknown): boolean {
  return isAdmin(m);
}

function answerOf(local: SessionDirectory, m: Record<string, unknown>): Promise<unknown> {
  if (m.op === 'list') return local.list();
  if (m.op === 'end' && typeof m.session === 'string') return local.end(m.session);
  return Promise.resolve(undefined);
}

/**
 * In a worker: answers the primary's questions from `local`, and asks the primary (which asks
 * every worker) for the admin API.
 */
export function ipcDirectory(channel: StateChannel, local: SessionDirectory): SessionDirectory {
  let next = 0;
  const pending = new Map<number, (result: unknown) => void>();
  channel.onMessage((m) => {
    if (!isAdmin(m)) return;
    if (m.kind === 'ask')
      void answerOf(local, m).then((result) =>
        channel.send({ tag: TAG, id: m.id, kind: 'answer', result }),
      );
    else if (m.kind === 'reply') {
      pending.get(m.id)?.(m.result);
      pending.delete(m.id);
    }
  });
  const call = (op: Op): Promise<unknown> => {
    const id = ++next;
    return new Promise((resolve) => {
      // The primary answers within its own timeout; this one only guards a gone primary.
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(undefined);
      }, ANSWER_TIMEOUT_MS * 2);
      pending.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      channel.send({ tag: TAG, id, kind: 'request', ...op });
    });
  };
  return {
    list: async () => {
      const r = await call({ op: 'list' });
      return Array.isArray(r) ? (r as AdminSession[]) : [];
    },
    end: async (session) => (await call({ op: 'end', session })) === true,
  };
}

/** A worker as the primary sees it. */
export interface AdminPeer {
  readonly key: string;
  send(message: object): void;
}

/** In the primary: fans each worker's request out to every worker and merges the answers. */
export class AdminHost {
  #next = 0;
  #waiting = new Map<number, { left: Set<string>; got: unknown[]; done: () => void }>();

  /** Handles one admin message from `from`; `peers` are the live workers. */
  handle(from: AdminPeer, m: unknown, peers: readonly AdminPeer[]): void {
    if (!isAdmin(m)) return;
    if (m.kind === 'answer') {
      const w = this.#waiting.get(m.id);
      if (w === undefined || !w.left.delete(from.key)) return;
      w.got.push(m.result);
      if (w.left.size === 0) w.done();
      return;
    }
    if (m.kind !== 'request' || (m.op !== 'list' && m.op !== 'end')) return;
    const op: Op =
      m.op === 'end' ? { op: 'end', session: String(m.session ?? '') } : { op: 'list' };
    void this.#fanOut(op, peers).then((result) =>
      from.send({ tag: TAG, id: m.id, kind: 'reply', result }),
    );
  }

  /** A worker exited: nothing more will come from it. */
  workerGone(key: string): void {
    for (const w of this.#waiting.values()) if (w.left.delete(key) && w.left.size === 0) w.done();
  }

  #fanOut(op: Op, peers: readonly AdminPeer[]): Promise<unknown> {
    const id = ++this.#next;
    const got: unknown[] = [];
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        resolve(
          op.op === 'list' ? got.flatMap((r) => (Array.isArray(r) ? r : [])) : got.includes(true),
        );
      };
      const timer = setTimeout(finish, ANSWER_TIMEOUT_MS);
      this.#waiting.set(id, { left: new Set(peers.map((p) => p.key)), got, done: finish });
      if (peers.length === 0) finish();
      for (const p of peers) p.send({ tag: TAG, id, kind: 'ask', ...op });
    });
  }
}
