// Rendering the chart with the real helm, for tests.
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from '../../common/package-root.js';
import { helm } from './kube.js';

export const CHART = join(packageRoot(), 'charts', 'stepup');
export const RELEASE = 'stepup';
export const NAMESPACE = 'stepup-system';

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [key: string]: any };

/** `helm template` output as text; throws with helm's message when it fails. */
export function renderText(args: string[] = []): string {
  const r = helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, ...args]);
  if (r.status !== 0) throw new Error(`helm template ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** The objects of a multi-document YAML; each keeps the template it came from (helm's "# Source:" line) as __source, not serialised. */
export function parseObjects(text: string): K8sObject[] {
  return text.split(/^---$/m).flatMap((chunk) => {
    const source = /^# Source: [^/]+\/templates\/(.+)$/m.exec(chunk)?.[1];
    return parseAllDocuments(chunk)
      .map((d) => d.toJS() as K8sObject | null)
      .filter((o): o is K8sObject => o !== null)
      .map((o) => (source ? Object.defineProperty(o, '__source', { value: source, enumerable: false }) : o));
  });
}

/** The objects `helm template` renders (tests hooks included). */
export function render(args: string[] = []): K8sObject[] {
  return parseObjects(renderText(args));
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind}${name ? ` ${name}` : ''} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}

export const SCENARIOS = ['default', 'cert-manager', 'istio', 'ha'] as const;
export const scenarioFile = (s: string) => join(CHART, 'ci', `${s}-values.yaml`);
