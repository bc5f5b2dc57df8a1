import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding the project's package.json, from source or from dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'charts'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('stepup: cannot find the package root (package.json beside charts/)');
    dir = parent;
  }
}
