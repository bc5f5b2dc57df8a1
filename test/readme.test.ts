// The README's reference stays complete: every sidecar flag and its variable.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FLAGS } from '../sidecar/config.js';

describe('README', () => {
  const readme = readFileSync('README.md', 'utf8');
  it.each(Object.entries(FLAGS))('documents --%s and its environment variable', (flag, spec) => {
    expect(readme).toContain(`| \`--${flag}\` | \`${spec.env}\` |`);
  });
  it('names the two set-up commands, and CI runs the second', () => {
    expect(readme).toContain('bash scripts/demo.sh');
    expect(readme).toContain('bash scripts/test.sh');
    expect(readFileSync('.ci/run', 'utf8')).toContain('scripts/test.sh');
  });
});
