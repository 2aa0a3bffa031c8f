/**
 * Config for sharing a live session read-only (spectators) and for recording sessions
 * (asciicast v2): the per-host keys and the global `sharing` and `recording` sections.
 */
import { z } from 'zod';
import { hostAllowSchema } from './auth-schema.ts';
import { byteSize, duration } from './units.ts';

/** Per host: may the owner hand out watch links, who may use them, is it recorded. */
export const shareHostShape = {
  share: z.boolean().optional(),
  /**
   * Who may open a watch link: `signed-in` (default; whoever passes the server's auth and the
   * host's `allow`), `anyone` (the link alone, no sign-in), or `{ users, groups }`.
   */
  watchers: z.union([z.enum(['signed-in', 'anyone']), hostAllowSchema.unwrap()]).optional(),
  record: z.boolean().optional(),
  /** Record the owner's keystrokes too (never while the host has taken over echo: passwords). */
  recordInput: z.boolean().optional(),
};

export const sharingSchema = z
  .strictObject({
    /** Longest link lifetime an owner may ask for; longer requests are cut to this. */
    maxTtl: duration.default(24 * 3_600_000),
    /** Spectators one session may have at once (503 beyond). */
    maxSpectators: z.number().int().positive().max(1000).default(10),
    /** Bytes queued for one spectator before it is cut (close 4011); the owner never waits. */
    spectatorBufferBytes: byteSize.default(256 * 1024),
    /** Recent output kept per shared host so a new spectator can rebuild the screen. */
    replayBytes: byteSize.default(64 * 1024),
  })
  .default({
    maxTtl: 24 * 3_600_000,
    maxSpectators: 10,
    spectatorBufferBytes: 256 * 1024,
    replayBytes: 64 * 1024,
  });

export const recordingSchema = z
  .strictObject({
    /** Where .cast files go (created if missing). */
    dir: z.string().min(1),
    /** A recording stops (the session goes on) once its file reaches this size. */
    maxBytesPerSession: byteSize.default(64 * 1024 * 1024),
    retention: z
      .strictObject({
        /** Older recordings are deleted (0 = keep). */
        maxAge: duration.default(30 * 86_400_000),
        /** Oldest recordings are deleted while the directory holds more than this. */
        maxTotalBytes: byteSize.default(1024 ** 3),
      })
      .default({ maxAge: 30 * 86_400_000, maxTotalBytes: 1024 ** 3 }),
    /** Who may list, replay and download recordings (needs auth); default: the top-level `admins`. */
    admins: z
      .strictObject({
        users: z.array(z.string()).default([]),
        groups: z.array(z.string().min(1).max(64)).default(['admins']),
      })
      .optional(),
  })
  .optional();

/** Administrators: the session list and `DELETE /api/sessions/ID`, and recordings by default. */
export const adminsSchema = z
  .strictObject({
    users: z.array(z.string()).default([]),
    groups: z.array(z.string().min(1).max(64)).default(['admins']),
    /**
     * With `auth.mode: none` nobody is signed in, so the admin API is off (404) unless this
     * is true; then anyone who reaches the server (from its own pages) is an administrator.
     */
    withoutAuth: z.boolean().default(false),
  })
  .default({ users: [], groups: ['admins'], withoutAuth: false });

export type AdminsConfig = z.output<typeof adminsSchema>;

export type SharingConfig = z.output<typeof sharingSchema>;
export type RecordingConfig = NonNullable<z.output<typeof recordingSchema>>;

interface ShareKeysInput {
  auth: { mode: string };
  admins: { users: readonly string[]; groups: readonly string[] };
  recording?: RecordingConfig | undefined;
  sharing: SharingConfig;
  hosts: readonly {
    watchers?: unknown;
    record?: boolean | undefined;
    recordInput?: boolean | undefined;
  }[];
}

/** Cross-key problems, as [path, message] pairs for the config's superRefine. */
export function shareKeyProblems(c: ShareKeysInput): [(string | number)[], string][] {
  const out: [(string | number)[], string][] = [];
  // Empty lists would mean "everyone" to the allow check: recordings are never that open.
  const admins = c.recording?.admins;
  if (admins !== undefined && admins.users.length === 0 && admins.groups.length === 0)
    out.push([['recording', 'admins'], 'must name at least one user or group']);
  if (c.admins.users.length === 0 && c.admins.groups.length === 0)
    out.push([['admins'], 'must name at least one user or group']);
  // The replay goes out whole; a smaller buffer would cut every new spectator at once.
  if (c.sharing.replayBytes > c.sharing.spectatorBufferBytes)
    out.push([['sharing', 'replayBytes'], 'must not exceed sharing.spectatorBufferBytes']);
  for (const [i, h] of c.hosts.entries()) {
    const w = h.watchers as { users?: unknown[]; groups?: unknown[] } | string | undefined;
    if (typeof w === 'object' && (w.users?.length ?? 0) + (w.groups?.length ?? 0) === 0)
      out.push([['hosts', i, 'watchers'], 'must name at least one user or group (or say anyone)']);
    if (typeof h.watchers === 'object' && c.auth.mode === 'none')
      out.push([
        ['hosts', i, 'watchers'],
        'a list of users or groups needs auth.mode other than none',
      ]);
    if (h.record === true && c.recording === undefined)
      out.push([['hosts', i, 'record'], 'needs a top-level recording: { dir } section']);
    if (h.recordInput === true && h.record !== true)
      out.push([['hosts', i, 'recordInput'], 'needs record: true']);
  }
  return out;
}
