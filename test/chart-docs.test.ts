// docs/install.md stays true to the chart: every file it names exists, every
// value it names is a chart value, and its --set flags render.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CHART, render } from './support/chart.js';

const doc = readFileSync('docs/install.md', 'utf8');
const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;

function hasValue(path: string): boolean {
  let node: unknown = values;
  for (const key of path.split('.')) {
    if (!node || typeof node !== 'object' || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

describe('docs/install.md', () => {
  it('names only files that exist', () => {
    const files = [...new Set(doc.match(/\b(?:deploy|charts|scripts|docs)\/[\w./-]+\.(?:yaml|sh|md|json)\b/g))];
    expect(files.length).toBeGreaterThan(3);
    expect(files.filter((f) => !existsSync(f))).toEqual([]);
  });

  it('names only values the chart has', () => {
    const named = [...new Set(doc.match(/`((?:controller|webhook|injection|istio|crds|networkPolicy|serviceMonitor)\.[\w.]+)`/g)?.map((m) => m.slice(1, -1)))];
    expect(named.length).toBeGreaterThan(8);
    expect(named.filter((v) => !hasValue(v))).toEqual([]);
  });

  it('its --set flags render', () => {
    const sets = [...doc.matchAll(/--set ([\w.]+=[\w.-]+)/g)].map((m) => m[1] as string);
    expect(sets.length).toBeGreaterThan(0);
    for (const set of sets) expect(render(['--set', set]).length, set).toBeGreaterThan(10);
  });
});
