import { describe, expect, it } from 'vitest';
import { compilePolicy } from './compile.js';
import type { StepUpPolicy } from './types.js';

function readsBody(when: string): boolean {
  const doc: StepUpPolicy = {
    apiVersion: 'stepup.dev/v1alpha1',
    kind: 'StepUpPolicy',
    metadata: { name: 'p', namespace: 'ns' },
    spec: { levels: [{ name: 'mfa', acr: ['2'] }], rules: [{ name: 'r', match: { paths: ['/**'] }, when, require: { level: 'mfa' } }] },
  };
  return compilePolicy(doc).rules[0]?.readsBody ?? false;
}

describe('CompiledRule.readsBody', () => {
  it.each([
    ['request.body.amount > 10', true],
    ['has(request.body.currency)', true],
    ['request["body"].amount > 1', true],
    ['"body" in request', true],
    ['request.path == "/a" && request["method"] == "GET"', false],
    ['route.environment == "production"', false],
    ['size(request.headers) > 1', false],
  ])('%s → %s', (when, expected) => {
    expect(readsBody(when)).toBe(expected);
  });
});
