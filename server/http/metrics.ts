/** Prometheus metrics at /metrics (prom-client), sampled from the registry on scrape. */
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { SessionRegistry } from '../session/registry.ts';

export function createMetrics(sessions: SessionRegistry): { registry: Registry } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'porthole_' });
  new Gauge({
    name: 'porthole_sessions',
    help: 'Live sessions',
    registers: [registry],
    collect() {
      this.set(sessions.size);
    },
  });
  new Gauge({
    name: 'porthole_sessions_opened_total',
    help: 'Sessions opened since start',
    registers: [registry],
    collect() {
      this.set(sessions.totalOpened);
    },
  });
  new Gauge({
    name: 'porthole_buffered_bytes',
    help: 'Bytes held in memory for all sessions (both directions)',
    registers: [registry],
    collect() {
      this.set(sessions.bufferedBytes());
    },
  });
  return { registry };
}
