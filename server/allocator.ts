/**
 * Keeps glibc from handing the heap back to the kernel after every burst of socket reads.
 *
 * Node mallocs a 64 KiB buffer for each socket read and frees it soon after. glibc trims the
 * heap whenever more than M_TRIM_THRESHOLD (128 KiB by default) sits free at its top, so a
 * busy relay gives pages back and page-faults them in again, read after read: in the bench
 * that was about a quarter of the proxy's CPU on `down` (1.7 → 1.25 CPU s/GiB without it).
 * glibc raises the threshold on its own to twice the size of a freed mmap'd block (the
 * dynamic mmap threshold, mallopt(3)), so one short 8 MiB allocation at start, scrypt's
 * working memory, sets it to 16 MiB: the same as MALLOC_TRIM_THRESHOLD_=16777216. At most
 * 16 MiB of free heap then stays resident. Other allocators (musl) ignore it; it costs
 * about 25 ms once.
 */
import { scryptSync } from 'node:crypto';

const SCRYPT_N = 8192;
const SCRYPT_R = 8;
/** scrypt needs 128 · N · r bytes: 8 MiB, above glibc's initial 128 KiB mmap threshold. */
const WORKING_BYTES = 128 * SCRYPT_N * SCRYPT_R;

/** Call once at process start; a no-op when MALLOC_TRIM_THRESHOLD_ is already set. */
export function raiseMallocTrimThreshold(env: Readonly<Record<string, string | undefined>>): void {
  if (env.MALLOC_TRIM_THRESHOLD_ !== undefined || env.MALLOC_MMAP_THRESHOLD_ !== undefined) return;
  scryptSync('', '', 1, { N: SCRYPT_N, r: SCRYPT_R, p: 1, maxmem: 2 * WORKING_BYTES });
}
