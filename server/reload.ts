/**
 * SIGHUP: re-read the config file and swap in its host list (added, changed and removed
 * hosts, logged), without touching live sessions; also re-read the TLS files. Other keys
 * need a restart: a reload that changes them says which, and applies only the hosts. A
 * config that no longer validates is logged and the running one is kept.
 */
import type { Porthole } from './app.ts';
import type { Logger } from './common/log.ts';
import type { Config } from './config/config.ts';

export async function reloadConfig(
  porthole: Porthole,
  running: Readonly<Config>,
  read: (() => Readonly<Config>) | undefined,
  log: Logger,
): Promise<Readonly<Config>> {
  porthole.reloadTls();
  if (read === undefined) {
    log.info({ event: 'config.reload', detail: 'no config file: TLS files only' }, 'reloaded');
    return running;
  }
  let next: Readonly<Config>;
  try {
    next = read();
  } catch (err) {
    log.error(
      { event: 'config.reload-failed', detail: (err as Error).message },
      'config reload failed; the running config stays',
    );
    return running;
  }
  const change = await porthole.reloadHosts(next.hosts);
  const needRestart = (Object.keys(next) as (keyof Config)[]).filter(
    (k) => k !== 'hosts' && JSON.stringify(next[k]) !== JSON.stringify(running[k]),
  );
  log.info(
    { event: 'config.reload', ...change, hosts: next.hosts.length, needRestart },
    needRestart.length === 0
      ? 'host list reloaded'
      : `host list reloaded; restart to apply ${needRestart.join(', ')}`,
  );
  return Object.freeze({ ...running, hosts: next.hosts });
}
