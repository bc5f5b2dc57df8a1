// docs/controller.md stays complete: every controller flag and its variable.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FLAGS } from '../controller/config.js';

describe('docs/controller.md', () => {
  const doc = readFileSync('docs/controller.md', 'utf8');
  it.each(Object.entries(FLAGS))('documents --%s and its environment variable', (flag, spec) => {
    expect(doc).toContain(`| \`--${flag}\` | \`${spec.env}\` |`);
  });
  it('documents --insecure', () => {
    expect(doc).toContain('| `--insecure` | `STEPUP_INSECURE` |');
  });
});
