/** Reconnect timing for unexpected drops: exponential, capped, with jitter so a restarted server is not stampeded. */
export const Backoff = {
  baseMs: 1000,
  factor: 2,
  maxMs: 30_000,
  /** ± this fraction of the delay. */
  jitter: 0.2,
  /** Attempts before giving up and leaving it to the Reconnect button. */
  maxAttempts: 12,
} as const;

/** Delay before reconnect attempt `attempt` (1-based); `random` returns [0, 1). */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.trunc(attempt));
  const raw = Math.min(Backoff.maxMs, Backoff.baseMs * Backoff.factor ** (n - 1));
  const spread = raw * Backoff.jitter * (2 * random() - 1);
  return Math.round(Math.min(Backoff.maxMs, Math.max(Backoff.baseMs / 2, raw + spread)));
}
