// The chart, rendered by the real helm: lint, schema, naming, values
// documentation, the CRD, the controller's pod, image versions.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, parseDocument, type YAMLMap } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CHART, find, render, scenarioFile, SCENARIOS } from './support/chart.js';
import { helm } from './support/kube.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

describe('helm lint and template', () => {
  it.each(SCENARIOS)('%s scenario: lint --strict passes and every object renders', (scenario) => {
    const lint = helm(['lint', '--strict', CHART, '-f', scenarioFile(scenario)]);
    expect(lint.stderr + lint.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(lint.status).toBe(0);
    const objects = render(['-f', scenarioFile(scenario)]);
    expect(objects.length).toBeGreaterThan(10);
    for (const o of objects) {
      expect(o.metadata.labels?.['app.kubernetes.io/instance'], `${o.kind}/${o.metadata.name}`).toBe('stepup');
      expect(o.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('Helm');
    }
  });

  it('each template is named <component>-<kind>.yaml after the kind it renders', () => {
    const files = readdirSync(join(CHART, 'templates'), { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && f.name.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(15);
    const all = [...render(), ...render(['-f', scenarioFile('istio')]), ...render(['-f', scenarioFile('ha')]), ...render(['-f', scenarioFile('cert-manager')])];
    for (const f of files) {
      expect(f.name).toMatch(/^[a-z]+-[a-z]+\.yaml$/);
      const kind = f.name.replace(/\.yaml$/, '').split('-')[1];
      const rel = join(f.parentPath, f.name).slice(join(CHART, 'templates').length + 1);
      const kinds = new Set(all.filter((o) => o.__source === rel).map((o) => o.kind.toLowerCase()));
      expect(kinds.size, `${rel} renders nothing in any scenario`).toBeGreaterThan(0);
      expect([...kinds].every((k) => k === kind || (kind === 'stepuppolicies' && k === 'customresourcedefinition')), `${rel}: ${[...kinds]}`).toBe(true);
    }
  });
});

describe('values.schema.json', () => {
  it.each([
    [['--set', 'controler.replicas=3'], /additional properties 'controler' not allowed/],
    [['--set', 'webhook.certManager.issuer=x'], /\/webhook\/certManager.*additional properties 'issuer' not allowed/],
    [['--set', 'injection.sidecar.imageTag=1'], /\/injection\/sidecar.*additional properties 'imageTag' not allowed/],
    [['--set', 'webhook.failurePolicy=Sometimes'], /failurePolicy/],
    [['--set', 'webhook.timeoutSeconds=60'], /timeoutSeconds/],
    [['--set', 'controller.replicas=0'], /replicas/],
  ])('rejects %j', (args, message) => {
    const r = helm(['template', 'stepup', CHART, ...args]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('refuses settings that would let Envoy give up before the sidecar answers', () => {
    const r = helm(['template', 'stepup', CHART, '--set', 'injection.sidecar.deadlineMs=250']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/deadlineMs \(250\) must be below injection.authzTimeoutMs \(200\)/);
  });

  it('every value in values.yaml has a comment, or is a group whose values all do', () => {
    const doc = parseDocument(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    const missing: string[] = [];
    const check = (map: YAMLMap, path: string) => {
      for (const [i, pair] of map.items.entries()) {
        const key = `${path}${String((pair.key as { value: unknown }).value)}`;
        // yaml keeps the comment above a map's first key on the map itself.
        const comment = (pair.key as { commentBefore?: string }).commentBefore ?? (i === 0 ? map.commentBefore : undefined);
        if (comment?.trim()) continue;
        if (isMap(pair.value) && pair.value.items.length > 0) check(pair.value, `${key}.`);
        else missing.push(key);
      }
    };
    check(doc.contents as YAMLMap, '');
    expect(missing).toEqual([]);
  });
});

describe('the StepUpPolicy CRD', () => {
  const source = parseDocument(readFileSync(join(CHART, 'files', 'crd-stepuppolicies.yaml'), 'utf8')).toJS();

  it('is files/crd-stepuppolicies.yaml, with the chart labels and the keep annotation', () => {
    const crd = find(render(), 'CustomResourceDefinition');
    expect(crd.spec).toEqual(source.spec);
    expect(crd.metadata.name).toBe('stepuppolicies.stepup.dev');
    expect(crd.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
  });

  it('has no null where a schema object belongs (an unquoted comma in a flow mapping makes one)', () => {
    const nulls: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (node === null) nulls.push(path);
      else if (typeof node === 'object') Object.entries(node).forEach(([k, v]) => walk(v, `${path}.${k}`));
    };
    walk(find(render(), 'CustomResourceDefinition').spec, 'spec');
    expect(nulls).toEqual([]);
  });

  it('crds.keep=false drops the annotation; crds.enabled=false drops the CRD', () => {
    expect(find(render(['--set', 'crds.keep=false']), 'CustomResourceDefinition').metadata.annotations).toBeUndefined();
    expect(render(['--set', 'crds.enabled=false']).some((o) => o.kind === 'CustomResourceDefinition')).toBe(false);
  });
});

describe('the controller Deployment', () => {
  const deploy = find(render(), 'Deployment', 'stepup-controller');
  const pod = deploy.spec.template.spec;
  const [container] = pod.containers;

  it('runs locked down: non-root, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.serviceAccountName).toBe('stepup-controller');
  });

  it('has replicas, leader election, probes and resources', () => {
    expect(deploy.spec.replicas).toBe(2);
    expect(container.args).toEqual(expect.arrayContaining(['--leader-elect=true', '--lease-name=stepup-controller', '--signing-key-file=/etc/stepup/signing-key/ed25519.pem', '--token-audience=stepup-controller']));
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http-metrics' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http-metrics' });
    expect(container.resources.requests).toEqual({ cpu: '50m', memory: '128Mi' });
    expect(container.resources.limits.memory).toBe('256Mi');
  });

  it('rolls when the injection settings change', () => {
    const a = find(render(), 'Deployment').spec.template.metadata.annotations['checksum/injector'];
    const b = find(render(['--set', 'injection.sidecar.deadlineMs=120']), 'Deployment').spec.template.metadata.annotations['checksum/injector'];
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
  });

  it('refuses several replicas without leader election', () => {
    const r = helm(['template', 'stepup', CHART, '--set', 'controller.leaderElection.enabled=false']);
    expect(r.stderr).toMatch(/leaderElection.enabled must be true when controller.replicas > 1/);
  });
});

describe('images and versions', () => {
  it("default image tags, appVersion and the chart version match package.json's version", () => {
    const chart = parseDocument(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')).toJS();
    expect(chart.appVersion).toBe(pkg.version);
    expect(chart.version).toBe(pkg.version);
    const objects = render();
    expect(find(objects, 'Deployment').spec.template.spec.containers[0].image).toBe(`ghcr.io/stepup-dev/stepup-controller:${pkg.version}`);
    const settings = JSON.parse(find(objects, 'ConfigMap', 'stepup-injector').data['settings.json']);
    expect(settings.sidecar.image).toBe(`ghcr.io/stepup-dev/stepup-sidecar:${pkg.version}`);
    expect(settings.version).toBe(pkg.version);
  });

  it('a digest wins over the tag', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const deploy = find(render(['--set', `controller.image.digest=${digest}`]), 'Deployment');
    expect(deploy.spec.template.spec.containers[0].image).toBe(`ghcr.io/stepup-dev/stepup-controller@${digest}`);
  });
});
