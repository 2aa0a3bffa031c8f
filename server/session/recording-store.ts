/**
 * The recordings directory: names new .cast files, lists them (from each file's header
 * line), resolves an id to a path (ids are checked, never joined raw), and applies the
 * retention (age, then total size, oldest first; files being written are never deleted).
 */

import { mkdirSync } from 'node:fs';
import { mkdir, open as openFile, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../common/log.ts';
import type { RecordingConfig } from '../config/share-schema.ts';

/** `20261207T051000Z-hostid-1a2b3c4d`: when, which host, which session. */
const ID_RE = /^\d{8}T\d{6}Z-[a-z0-9][a-z0-9_-]{0,63}-[0-9a-f]{8}$/;
/** How much of a file is read to find its header line. */
const HEADER_BYTES = 4096;
/** Listing answers at most this many (newest first). */
const MAX_LISTED = 1000;
const RETENTION_EVERY_MS = 3_600_000;

export interface RecordingInfo {
  id: string;
  host: string;
  title: string;
  /** Epoch ms the session started. */
  startedAt: number;
  bytes: number;
  width: number;
  height: number;
  /** Still being written. */
  live: boolean;
}

interface CastFile {
  id: string;
  path: string;
  size: number;
  mtimeMs: number;
}

export function isRecordingId(id: string): boolean {
  return ID_RE.test(id);
}

export class RecordingStore {
  readonly config: RecordingConfig;
  #log: Logger;
  #writing = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #dirReady = false;

  constructor(config: RecordingConfig, log: Logger) {
    this.config = config;
    this.#log = log;
  }

  /** Recordings being written now. */
  get active(): number {
    return this.#writing.size;
  }

  /** Creates the directory (owner-only) and applies the retention now and every hour. */
  async start(): Promise<void> {
    await mkdir(this.config.dir, { recursive: true, mode: 0o700 });
    this.#dirReady = true;
    await this.applyRetention();
    this.#timer ??= setInterval(() => void this.applyRetention(), RETENTION_EVERY_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** A new file name for a session; marked as being written until `finished`. */
  create(hostId: string, sessionId: string, at = new Date()): { id: string; path: string } {
    // An embedder that never called listen() (start) still gets its directory, once.
    if (!this.#dirReady) {
      try {
        mkdirSync(this.config.dir, { recursive: true, mode: 0o700 });
        this.#dirReady = true;
      } catch {
        // The recorder's open fails too, and stops the recording with a warning.
      }
    }
    const stamp = at
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const id = `${stamp}-${hostId}-${sessionId.replace(/-/g, '').slice(0, 8)}`;
    this.#writing.add(id);
    return { id, path: join(this.config.dir, `${id}.cast`) };
  }

  /** The recording is complete: it may now be listed as such and aged out. */
  finished(path: string): void {
    for (const id of this.#writing) if (path.endsWith(`${id}.cast`)) this.#writing.delete(id);
    void this.applyRetention();
  }

  /** The file of a recording id, or undefined for anything that is not one. */
  pathOf(id: string): string | undefined {
    return isRecordingId(id) ? join(this.config.dir, `${id}.cast`) : undefined;
  }

  async list(): Promise<RecordingInfo[]> {
    const files = await this.#files();
    files.sort((a, b) => b.mtimeMs - a.mtimeMs);
    const out: RecordingInfo[] = [];
    for (const f of files.slice(0, MAX_LISTED)) {
      const header = await readHeader(f.path);
      out.push({
        id: f.id,
        host: f.id.split('-').slice(1, -1).join('-'),
        title: typeof header?.title === 'string' ? header.title : f.id,
        startedAt: typeof header?.timestamp === 'number' ? header.timestamp * 1000 : f.mtimeMs,
        bytes: f.size,
        width: typeof header?.width === 'number' ? header.width : 80,
        height: typeof header?.height === 'number' ? header.height : 24,
        live: this.#writing.has(f.id),
      });
    }
    return out;
  }

  /** Deletes recordings older than retention.maxAge, then the oldest while over maxTotalBytes. */
  async applyRetention(now = Date.now()): Promise<void> {
    const { maxAge, maxTotalBytes } = this.config.retention;
    let all: CastFile[];
    try {
      all = await this.#files();
    } catch (err) {
      this.#log.warn(
        { event: 'recording.retention', err: (err as Error).message },
        'cannot list recordings',
      );
      return;
    }
    // Recordings being written count towards the total but are never deleted.
    let total = all.reduce((sum, f) => sum + f.size, 0);
    const files = all.filter((f) => !this.#writing.has(f.id));
    files.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const f of files) {
      const old = maxAge > 0 && now - f.mtimeMs > maxAge;
      if (!old && total <= maxTotalBytes) continue;
      try {
        await unlink(f.path);
        total -= f.size;
        this.#log.info(
          { event: 'recording.deleted', id: f.id, reason: old ? 'age' : 'size' },
          'recording deleted',
        );
      } catch {
        // Already gone (another worker's retention): nothing to do.
      }
    }
  }

  async #files(): Promise<CastFile[]> {
    const names = await readdir(this.config.dir);
    const out: CastFile[] = [];
    for (const name of names) {
      const id = name.endsWith('.cast') ? name.slice(0, -5) : '';
      if (!isRecordingId(id)) continue;
      const path = join(this.config.dir, name);
      try {
        const s = await stat(path);
        if (s.isFile()) out.push({ id, path, size: s.size, mtimeMs: s.mtimeMs });
      } catch {
        // Deleted meanwhile.
      }
    }
    return out;
  }
}

/** The first line of a .cast file as an object, or undefined. */
async function readHeader(path: string): Promise<Record<string, unknown> | undefined> {
  let fh: Awaited<ReturnType<typeof openFile>> | undefined;
  try {
    fh = await openFile(path, 'r');
    const buf = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEADER_BYTES, 0);
    const line = buf.subarray(0, bytesRead).toString('utf8').split('\n', 1)[0] ?? '';
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  } finally {
    await fh?.close();
  }
}
