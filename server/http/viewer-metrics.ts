/** Metrics for sharing and recording, registered beside the session metrics (metrics.ts). */
import { Gauge, type Registry } from 'prom-client';
import type { RecordingStore } from '../session/recording-store.ts';
import type { ShareRegistry } from '../session/shares.ts';

export function registerViewerMetrics(
  registry: Registry,
  shares: ShareRegistry,
  recordings: RecordingStore | undefined,
): void {
  const registers = [registry];
  new Gauge({
    name: 'porthole_watch_links',
    help: 'Watch links that work now (shared sessions)',
    registers,
    collect() {
      this.set(shares.size);
    },
  });
  new Gauge({
    name: 'porthole_spectators',
    help: 'Spectators watching shared sessions',
    registers,
    collect() {
      this.set(shares.spectators());
    },
  });
  new Gauge({
    name: 'porthole_recordings_active',
    help: 'Sessions being recorded now',
    registers,
    collect() {
      this.set(recordings?.active ?? 0);
    },
  });
}
