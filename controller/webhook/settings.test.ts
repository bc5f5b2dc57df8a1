import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartBootstrapTemplate, testSettingsInput } from './fixtures.js';
import { loadInjectionSettings, parseInjectionSettings, reservedPorts, SettingsError } from './settings.js';

function parseWith(change: (i: Record<string, any>) => void, template = chartBootstrapTemplate()) {
  const input = testSettingsInput();
  change(input);
  return () => parseInjectionSettings(input, template);
}

describe('injection settings', () => {
  it('accepts the defaults and freezes them', () => {
    const s = parseWith(() => {})();
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.sidecar)).toBe(true);
    expect(Object.isFrozen(s.bootstrapTemplate)).toBe(true);
  });

  it.each([
    ['an unknown key', (i: any) => (i.sidecar.imageTag = 'x'), /\/sidecar must NOT have additional properties/],
    ['a missing key', (i: any) => delete i.controllerAddress, /must have required property 'controllerAddress'/],
    ['an unknown mode', (i: any) => (i.mode = 'linkerd'), /\/mode must be equal to one of the allowed values/],
    ['a deadline not below the Envoy timeout', (i: any) => (i.sidecar.deadlineMs = 200), /deadlineMs \(200\) must be below authzTimeoutMs \(200\)/],
    ['overlapping ports', (i: any) => (i.envoy.adminPort = 15191), /ports overlap/],
    ['a listener range over the sidecar port', (i: any) => (i.envoy.firstListenerPort = 15185), /ports overlap/],
  ])('rejects %s', (_name, change, message) => {
    const run = parseWith(change);
    expect(run).toThrow(SettingsError);
    expect(run).toThrow(message);
  });

  it('rejects a bootstrap template it cannot render from', () => {
    expect(parseWith(() => {}, 'static_resources: {listeners: [], clusters: []}')).toThrow(/bootstrap template cannot be used: .*one listener/);
    expect(parseWith(() => {}, '')).toThrow(/bootstrap template is empty/);
  });

  it('Istio mode reserves only the sidecar ports', () => {
    const s = parseWith((i) => (i.mode = 'istio'))();
    expect(reservedPorts(s)).toEqual([15191, 15192]);
    expect(reservedPorts(parseWith(() => {})())).toHaveLength(11);
  });

  it('loads settings.json and envoy.yaml from the mounted ConfigMap folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepup-injector-'));
    writeFileSync(join(dir, 'settings.json'), JSON.stringify(testSettingsInput()));
    writeFileSync(join(dir, 'envoy.yaml'), chartBootstrapTemplate());
    expect(loadInjectionSettings(dir).controllerAddress).toBe('stepup-controller.stepup-system.svc:9090');
    writeFileSync(join(dir, 'settings.json'), '{not json');
    expect(() => loadInjectionSettings(dir)).toThrow(/cannot read .*settings.json/);
  });
});
