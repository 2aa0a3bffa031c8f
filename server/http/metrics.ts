/**
 * Prometheus metrics (prom-client), by Prometheus naming conventions: `_total` counters,
 * `_seconds` and `_bytes` units. Host labels are configured host ids (plus `custom` and
 * `token` for browser- and token-chosen targets), so the label sets stay bounded.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { UpgradeObserver } from '../gateway/upgrade.ts';
import type { SessionRegistry } from '../session/registry.ts';
import type { Session } from '../session/session.ts';
import type { HostCatalogue } from '../targets/catalogue.ts';
import { BackendError } from '../targets/dial.ts';

export interface Metrics extends UpgradeObserver {
  registry: Registry;
  opened(session: Session): void;
  closed(session: Session): void;
}

const NON_COUNTER_TOTALS = ['active_handles', 'active_requests', 'active_resources'];

function failureReason(err: unknown): string {
  if (err instanceof BackendError) return err.kind;
  // customTargets' policy refusing what DNS answered, or anything else a dial threw.
  return err instanceof Error && err.name === 'TargetError' ? 'policy' : 'error';
}

export function createMetrics(sessions: SessionRegistry, hosts: HostCatalogue): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'porthole_' });
  // prom-client names these gauges `_total`, which Prometheus reserves for counters (promtool
  // flags them); the same counts are in porthole_nodejs_active_handles and friends.
  for (const name of NON_COUNTER_TOTALS)
    registry.removeSingleMetric(`porthole_nodejs_${name}_total`);
  const registers = [registry];
  new Gauge({
    name: 'porthole_sessions',
    help: 'Live sessions by host',
    labelNames: ['host'],
    registers,
    collect() {
      this.reset();
      for (const h of hosts.list()) this.set({ host: h.config.id }, 0);
      for (const [host, n] of sessions.hostCounts()) this.set({ host }, n);
    },
  });
  const opened = new Counter({
    name: 'porthole_sessions_opened_total',
    help: 'Sessions admitted, by host',
    labelNames: ['host'],
    registers,
  });
  const closedBytes = { down: 0, up: 0 };
  new Counter({
    name: 'porthole_session_bytes_total',
    help: 'Bytes relayed: down = backend to browser, up = browser to backend',
    labelNames: ['direction'],
    registers,
    collect() {
      const live = sessions.liveBytes();
      this.reset();
      this.inc({ direction: 'down' }, closedBytes.down + live.down);
      this.inc({ direction: 'up' }, closedBytes.up + live.up);
    },
  });
  const closes = new Counter({
    name: 'porthole_session_closes_total',
    help: 'Sessions ended, by WebSocket close code',
    labelNames: ['code'],
    registers,
  });
  const duration = new Histogram({
    name: 'porthole_session_duration_seconds',
    help: 'How long sessions lasted',
    labelNames: ['host'],
    buckets: [1, 10, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600],
    registers,
  });
  const connect = new Histogram({
    name: 'porthole_backend_connect_seconds',
    help: 'Time to connect to the backend (DNS included), successful dials',
    labelNames: ['host'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const connectFailures = new Counter({
    name: 'porthole_backend_connect_failures_total',
    help: 'Backend dials that failed, by host and reason (dns, refused, timeout, unreachable, no-descriptors, policy)',
    labelNames: ['host', 'reason'],
    registers,
  });
  const refusals = new Counter({
    name: 'porthole_upgrade_refusals_total',
    help: 'WebSocket upgrades refused before any dial, by HTTP status',
    labelNames: ['status'],
    registers,
  });
  new Gauge({
    name: 'porthole_buffered_bytes',
    help: 'Bytes held in memory for all sessions (both directions)',
    registers,
    collect() {
      this.set(sessions.bufferedBytes());
    },
  });
  new Gauge({
    name: 'porthole_sessions_detached',
    help: 'Sessions whose browser dropped, backend held for a resume',
    registers,
    collect() {
      this.set(sessions.detachedCount);
    },
  });
  new Counter({
    name: 'porthole_session_resumes_total',
    help: 'Browsers that resumed a held (or attached: takeover) session',
    registers,
    collect() {
      this.reset();
      this.inc(sessions.resumes);
    },
  });
  return {
    registry,
    refused: (status) => refusals.inc({ status: String(status) }),
    opened: (s) => opened.inc({ host: s.hostId }),
    closed(s) {
      closedBytes.down += s.stats.bytesDown;
      closedBytes.up += s.stats.bytesUp;
      closes.inc({ code: String(s.closeCode) });
      duration.observe({ host: s.hostId }, (Date.now() - s.startedAt) / 1000);
    },
    async observeDial(hostId, dial) {
      const end = connect.startTimer({ host: hostId });
      try {
        const socket = await dial;
        end();
        return socket;
      } catch (err) {
        const reason = failureReason(err);
        if (reason !== 'aborted') connectFailures.inc({ host: hostId, reason });
        throw err;
      }
    },
  };
}
