/**
 * Where the package's files are, found by walking up to package.json, so paths hold both
 * under tsx (server/*.ts) and when emitted (build/server/*.js).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the porthole package root');
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = findPackageRoot();
/** The built client (vite build client → dist/public). */
export const CLIENT_DIR = join(PACKAGE_ROOT, 'dist', 'public');
