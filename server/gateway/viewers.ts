/**
 * What a new session gets beyond its owner: sharing (hosts with `share: true`) and
 * recording (hosts with `record: true`). Sessions on other hosts get nothing here, so their
 * byte path has no extra viewer.
 */
import type { HelloInfo } from '../../shared/protocol.ts';
import type { Logger } from '../common/log.ts';
import type { Config, HostConfig } from '../config/config.ts';
import { Recorder } from '../session/recorder.ts';
import type { RecordingStore } from '../session/recording-store.ts';
import type { Session } from '../session/session.ts';
import { SessionShare } from '../session/share.ts';
import type { ShareRegistry } from '../session/shares.ts';
import { tokenPrefix } from './resume-route.ts';

export interface ViewerContext {
  config: Readonly<Config>;
  log: Logger;
  shares: ShareRegistry<SessionShare>;
  /** Undefined without a `recording` section. */
  recordings: RecordingStore | undefined;
}

/** Whether this session will be recorded (its hello says so, before the first byte). */
export function willRecord(ctx: ViewerContext, host: HostConfig, v1: boolean): boolean {
  // A websockify-style byte bridge (VNC, ...) is not a terminal: asciicast does not fit it.
  return ctx.recordings !== undefined && host.record === true && v1;
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
        tokenPrefix: tokenPrefix(ctx.config.instanceId),
        log: ctx.log,
      }),
    );
  }
  if (willRecord(ctx, host, v1) && ctx.recordings !== undefined)
    record(ctx.recordings, ctx.log, session, host);
}

function record(store: RecordingStore, log: Logger, session: Session, host: HostConfig): void {
  const { id, path } = store.create(host.id, session.id);
  const recorder: Recorder = new Recorder({
    session: session.id,
    path,
    title: `${host.name} (${session.user})`,
    maxBytes: store.config.maxBytesPerSession,
    recordInput: host.recordInput === true,
    log,
    stopped: (detail) => {
      session.bridge.output.detach(recorder);
      session.sendOwner({ type: 'recording', active: false, detail });
    },
    done: (file) => store.finished(file),
  });
  session.bridge.output.attach(recorder);
  session.extend(recorder);
  log.info({ event: 'recording.start', session: session.id, recording: id }, 'session recorded');
}
