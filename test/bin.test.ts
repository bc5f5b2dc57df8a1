// The package's bins run the way the README says: `npx stepup-sidecar`.
import { accessSync, constants, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; bin: Record<string, string> };

describe('package bins', () => {
  it.each(Object.entries(pkg.bin))('%s is executable and answers --version through npx', (name, file) => {
    expect(() => accessSync(file, constants.X_OK)).not.toThrow();
    // A fresh npm cache: npx keeps a link to this folder per path, which would go stale when bins change.
    const cache = mkdtempSync(join(tmpdir(), 'stepup-npx-'));
    const run = spawnSync('npx', [name, '--version'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, npm_config_cache: cache, npm_config_update_notifier: 'false' } });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe(pkg.version);
  });
});
