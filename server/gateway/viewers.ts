/**
 * What a new session gets beyond its owner: sharing (hosts with `share: true`) and
 * recording (hosts with `record: true`). Sessions on other hosts get nothing here, so their
 * byte path has no extra viewer.
 */
import type { HelloInfo } from '../../shared/protocol.ts';
import type { Logger } from '../common/log.ts';
import type { Config, HostConfig } from '../config/config.ts';
import type { Session } from '../session/session.ts';
import { SessionShare } from '../session/share.ts';
import type { ShareRegistry } from '../session/shares.ts';

export interface ViewerContext {
  config: Readonly<Config>;
  log: Logger;
  shares: ShareRegistry<SessionShare>;
}

/** Where watch links point: `/watch/` under basePath, absolute when publicUrl is set. */
export function watchBase(config: Readonly<Config>): string {
  const path = `${config.basePath}watch/`;
  return config.publicUrl === undefined ? path : new URL(path, config.publicUrl).href;
}

export function attachViewers(
  ctx: ViewerContext,
  session: Session,
  host: HostConfig,
  v1: boolean,
  hello: Omit<HelloInfo, 'session' | 'windowBytes'>,
): void {
  // Spectators speak porthole.v1; a websockify-style byte bridge is not shared.
  if (host.share === true && v1) {
    session.extend(
      new SessionShare(session, {
        sharing: ctx.config.sharing,
        limits: ctx.config.limits,
        registry: ctx.shares,
        watchBase: watchBase(ctx.config),
        watchers: host.watchers ?? 'signed-in',
        hello,
        log: ctx.log,
      }),
    );
  }
}
