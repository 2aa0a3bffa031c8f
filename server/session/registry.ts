/**
 * Live sessions: counts (global, per IP, per host), one shared timer for every session's
 * heartbeat and timeouts (no per-session timers), and a drain for shutdown.
 */
import type { AdminSession } from '../../shared/api.ts';
import type { Session } from './session.ts';

const TICK_MS = 1000;
/** Tokens of ended sessions remembered (to answer "expired" rather than "unknown"). */
const ENDED_TOKENS = 10_000;

function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}

export class SessionRegistry {
  #sessions = new Set<Session>();
  #perIp = new Map<string, number>();
  #perUser = new Map<string, number>();
  #perHost = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #totalOpened = 0;
  #byToken = new Map<string, Session>();
  /** Ended resume tokens, oldest first (a Map keeps insertion order), bounded. */
  #endedTokens = new Map<string, true>();
  #detached = 0;
  #resumes = 0;
  readonly #ipKey: (ip: string) => string;

  /** `ipKey` maps a client address to what it is counted under (an IPv6 /64, say). */
  constructor(ipKey: (ip: string) => string = (ip) => ip) {
    this.#ipKey = ipKey;
  }

  get size(): number {
    return this.#sessions.size;
  }

  get totalOpened(): number {
    return this.#totalOpened;
  }

  /** Sessions under an address key (see the constructor's `ipKey`). */
  countForIp(key: string): number {
    return this.#perIp.get(key) ?? 0;
  }

  countForUser(user: string): number {
    return this.#perUser.get(user) ?? 0;
  }

  countForHost(hostId: string): number {
    return this.#perHost.get(hostId) ?? 0;
  }

  add(session: Session): void {
    this.#sessions.add(session);
    this.#totalOpened++;
    bump(this.#perIp, this.#ipKey(session.clientIp), 1);
    bump(this.#perUser, session.user, 1);
    bump(this.#perHost, session.hostId, 1);
    const token = session.resumeToken;
    if (token !== undefined) this.#byToken.set(token, session);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), TICK_MS);
      this.#timer.unref();
    }
  }

  delete(session: Session): void {
    if (!this.#sessions.delete(session)) return;
    bump(this.#perIp, this.#ipKey(session.clientIp), -1);
    bump(this.#perUser, session.user, -1);
    bump(this.#perHost, session.hostId, -1);
    const token = session.resumeToken;
    if (token !== undefined && this.#byToken.delete(token)) {
      this.#endedTokens.set(token, true);
      if (this.#endedTokens.size > ENDED_TOKENS) {
        const oldest = this.#endedTokens.keys().next().value;
        if (oldest !== undefined) this.#endedTokens.delete(oldest);
      }
    }
    if (this.#sessions.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** The live session a resume token belongs to. */
  byToken(token: string): Session | undefined {
    return this.#byToken.get(token);
  }

  /** True if the token belonged to a session that has ended (recently). */
  tokenEnded(token: string): boolean {
    return this.#endedTokens.has(token);
  }

  /** A session lost (true) or got back (false) its browser. */
  noteDetach(detached: boolean): void {
    this.#detached += detached ? 1 : -1;
  }

  noteResume(): void {
    this.#resumes++;
  }

  /** Sessions holding their backend for a resume right now (for metrics). */
  get detachedCount(): number {
    return this.#detached;
  }

  /** Successful resumes since start (for metrics). */
  get resumes(): number {
    return this.#resumes;
  }

  /** What the admin view shows of each live session. */
  summaries(): AdminSession[] {
    return [...this.#sessions].map((s) => ({
      id: s.id,
      user: s.user,
      clientIp: s.clientIp,
      host: s.hostId,
      since: new Date(s.startedAt).toISOString(),
      bytesDown: s.stats.bytesDown,
      bytesUp: s.stats.bytesUp,
      detached: s.detached,
    }));
  }

  /** Ends the live session with this id (held ones too); false if there is none. */
  end(id: string, code: number, reason: string, cause: string): boolean {
    for (const s of this.#sessions) {
      if (s.id !== id) continue;
      s.close(code, reason, cause);
      return true;
    }
    return false;
  }

  #tick(): void {
    const now = Date.now();
    for (const s of this.#sessions) s.tick(now);
  }

  /** Live sessions per host id (for metrics). */
  hostCounts(): ReadonlyMap<string, number> {
    return this.#perHost;
  }

  /** Bytes the live sessions have moved so far, each way (for metrics). */
  liveBytes(): { down: number; up: number } {
    let down = 0;
    let up = 0;
    for (const s of this.#sessions) {
      down += s.stats.bytesDown;
      up += s.stats.bytesUp;
    }
    return { down, up };
  }

  /** Bytes held in memory across all sessions. */
  bufferedBytes(): number {
    let total = 0;
    for (const s of this.#sessions) total += s.bufferedBytes;
    return total;
  }

  /** Closes every session with the given code; resolves once they are gone or after graceMs. */
  async closeAll(code: number, reason: string, graceMs: number): Promise<void> {
    for (const s of [...this.#sessions]) s.close(code, reason, 'shutdown');
    const deadline = Date.now() + graceMs;
    while (this.#closing() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  }

  #closing(): boolean {
    return this.#sessions.size > 0;
  }
}
