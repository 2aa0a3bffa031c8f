/**
 * `--workers` without a store: the cluster primary holds the one MemoryState and the workers
 * ask it over the cluster's IPC channel, so the lockout, the upgrade rate and the session
 * counts per address and per user hold for the machine, with no extra server. A worker's
 * slots are released by the primary when the worker exits (no leaked slots).
 */
import {
  type MemoryState,
  type SessionSlot,
  type SharedState,
  type SlotLimits,
  type SlotRefusal,
  StoreUnavailable,
} from './shared-state.ts';

/** How a worker talks to the primary (process.send and 'message', in cluster.ts). */
export interface StateChannel {
  send(message: object): void;
  onMessage(listener: (message: unknown) => void): void;
}

const TAG = 'porthole.state';
/** The primary answers in microseconds; a missing answer means it is gone. */
const REPLY_TIMEOUT_MS = 5000;

type Op =
  | 'bannedFor'
  | 'reserveAttempt'
  | 'settleAttempt'
  | 'recordFailure'
  | 'takeUpgrade'
  | 'peekUpgrade'
  | 'acquireSlot'
  | 'peekSlot'
  | 'releaseSlot';

interface Request {
  tag: typeof TAG;
  id: number;
  op: Op;
  args: unknown[];
}

interface Reply {
  tag: typeof TAG;
  id: number;
  result: unknown;
}

const isTagged = (m: unknown): m is { tag: string; id: number } =>
  typeof m === 'object' && m !== null && (m as { tag?: unknown }).tag === TAG;

/** True for a worker's state request (the primary ignores every other message). */
export function isStateRequest(m: unknown): m is Request {
  return isTagged(m) && typeof (m as { op?: unknown }).op === 'string';
}

/** The worker side: every SharedState operation is one request to the primary. */
export class IpcState implements SharedState {
  readonly #channel: StateChannel;
  #next = 0;
  #pending = new Map<number, (result: unknown) => void>();

  constructor(channel: StateChannel) {
    this.#channel = channel;
    channel.onMessage((m) => {
      if (!isTagged(m) || !('result' in m)) return;
      const done = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      done?.((m as Reply).result);
    });
  }

  #call(op: Op, ...args: unknown[]): Promise<unknown> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new StoreUnavailable('the cluster primary did not answer'));
      }, REPLY_TIMEOUT_MS);
      timer.unref();
      this.#pending.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      this.#channel.send({ tag: TAG, id, op, args } satisfies Request);
    });
  }

  async bannedFor(key: string): Promise<number> {
    return Number(await this.#call('bannedFor', key));
  }
  async reserveAttempt(key: string): Promise<boolean> {
    return (await this.#call('reserveAttempt', key)) === true;
  }
  async settleAttempt(key: string, failed: boolean): Promise<void> {
    await this.#call('settleAttempt', key, failed);
  }
  async recordFailure(key: string): Promise<void> {
    await this.#call('recordFailure', key);
  }
  async takeUpgrade(key: string): Promise<number> {
    return Number(await this.#call('takeUpgrade', key));
  }
  async peekUpgrade(key: string): Promise<number> {
    return Number(await this.#call('peekUpgrade', key));
  }
  async acquireSlot(ipKey: string, user: string, limits: SlotLimits) {
    const r = await this.#call('acquireSlot', ipKey, user, limits);
    if (r === 'ip' || r === 'user') return r;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.#channel.send({ tag: TAG, id: 0, op: 'releaseSlot', args: [r] } satisfies Request);
      },
    };
  }
  async peekSlot(ipKey: string, user: string, limits: SlotLimits) {
    const r = await this.#call('peekSlot', ipKey, user, limits);
    return r === 'ip' || r === 'user' ? (r as SlotRefusal) : undefined;
  }
  async start(): Promise<void> {}
  async close(): Promise<void> {}
}

/** The primary side: one MemoryState for every worker. */
export class StateHost {
  readonly #state: MemoryState;
  #slots = new Map<string, Map<number, SessionSlot>>();
  #nextSlot = 0;

  constructor(state: MemoryState) {
    this.#state = state;
  }

  /** Answers one request from `worker`; `reply` sends to that worker. */
  async handle(worker: string, req: Request, reply: (m: object) => void): Promise<void> {
    const result = await this.#run(worker, req);
    // null, not undefined: IPC serialises to JSON, which drops an undefined field.
    if (req.op !== 'releaseSlot')
      reply({ tag: TAG, id: req.id, result: result ?? null } satisfies Reply);
  }

  /** A worker exited: the sessions it held are gone, and so are their slots. */
  workerGone(worker: string): void {
    for (const slot of this.#slots.get(worker)?.values() ?? []) slot.release();
    this.#slots.delete(worker);
  }

  async #run(worker: string, { op, args }: Request): Promise<unknown> {
    const s = this.#state;
    const key = String(args[0]);
    switch (op) {
      case 'bannedFor':
        return s.bannedFor(key);
      case 'reserveAttempt':
        return s.reserveAttempt(key);
      case 'settleAttempt':
        return s.settleAttempt(key, args[1] === true);
      case 'recordFailure':
        return s.recordFailure(key);
      case 'takeUpgrade':
        return s.takeUpgrade(key);
      case 'peekUpgrade':
        return s.peekUpgrade(key);
      case 'peekSlot':
        return s.peekSlot(key, String(args[1]), args[2] as SlotLimits);
      case 'acquireSlot': {
        const got = await s.acquireSlot(key, String(args[1]), args[2] as SlotLimits);
        if (got === 'ip' || got === 'user') return got;
        const id = ++this.#nextSlot;
        const mine = this.#slots.get(worker) ?? new Map<number, SessionSlot>();
        this.#slots.set(worker, mine);
        mine.set(id, got);
        return id;
      }
      case 'releaseSlot': {
        const mine = this.#slots.get(worker);
        mine?.get(Number(args[0]))?.release();
        mine?.delete(Number(args[0]));
        return undefined;
      }
    }
  }
}
