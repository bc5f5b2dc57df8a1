// The flags the chart gives the controller, and the flags the injection
// webhook gives each sidecar, are flags those binaries accept.
import { describe, expect, it } from 'vitest';
import { parseConfig as parseControllerConfig } from '../controller/config.js';
import { mutatePod } from '../controller/webhook/mutate-pod.js';
import { applyPatch } from '../controller/webhook/fixtures.js';
import { parseInjectionSettings } from '../controller/webhook/settings.js';
import type { Pod } from '../controller/webhook/pod-types.js';
import { parseConfig as parseSidecarConfig } from '../sidecar/config.js';
import { find, render, SCENARIOS, scenarioFile } from './support/chart.js';

/** Kubernetes' $(VAR) expansion of container args. */
const expand = (args: string[], env: Record<string, string>) => args.map((a) => a.replace(/\$\((\w+)\)/g, (_m, name: string) => env[name] ?? `$(${name})`));

describe('flags across the chart, the webhook and the binaries', () => {
  it.each(SCENARIOS)('the controller accepts the args of the %s scenario', (scenario) => {
    const deployment = find(render(['-f', scenarioFile(scenario)]), 'Deployment', 'stepup-controller');
    const container = deployment.spec.template.spec.containers.find((c: { name: string }) => c.name === 'controller');
    const parsed = parseControllerConfig(expand(container.args, { POD_NAME: 'stepup-controller-0', POD_NAMESPACE: 'stepup-system' }), {});
    expect('config' in parsed && parsed.config.replicaId).toBe('stepup-controller-0');
  });

  it('the sidecar accepts the args the webhook injects', () => {
    const cm = find(render(), 'ConfigMap', 'stepup-injector');
    const publicKey = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n';
    const settings = parseInjectionSettings({ ...JSON.parse(cm.data['settings.json']), controllerPublicKey: publicKey }, cm.data['envoy.yaml']);
    const pod: Pod = { metadata: { name: 'payments-1', labels: { app: 'payments' } }, spec: { containers: [{ name: 'app', image: 'payments:1', ports: [{ name: 'http', containerPort: 8080 }] }] } } as Pod;
    const mutation = mutatePod(pod, 'shop', settings);
    expect(mutation.injected).toBe(true);
    const injected = applyPatch(pod, mutation.patch);
    const sidecar = (injected.spec?.containers ?? []).find((c) => c.name === 'stepup-sidecar') as { args: string[]; env?: { name: string; value?: string }[] };
    const env = Object.fromEntries((sidecar.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    const parsed = parseSidecarConfig(expand(sidecar.args, { POD_NAME: 'payments-1', POD_NAMESPACE: 'shop' }), env);
    expect(parsed).toMatchObject({ config: { controller: [expect.any(String)], podName: 'payments-1', podNamespace: 'shop', insecure: false } });
  });
});
