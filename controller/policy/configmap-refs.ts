// IP lists a policy takes from ConfigMaps (spec.ipLists[].configMapRef): the
// ConfigMaps the watch delivered, and the resolution of a policy's references
// into inline cidrs, so the document sent to sidecars carries the entries
// (and its content hash changes when a ConfigMap does).
import { parseIpListText } from '../../common/net/ip-list-text.js';
import type { IpListSpec, StepUpPolicy } from '../../common/policy/types.js';

/** A ConfigMap as the API server returns it (only what is read here). */
export interface ConfigMapObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; resourceVersion?: string };
  data?: Record<string, string>;
}

/** Finds a ConfigMap's data by namespace and name; undefined when there is none. */
export type ConfigMapLookup = (namespace: string, name: string) => Readonly<Record<string, string>> | undefined;

export const NO_CONFIGMAPS: ConfigMapLookup = () => undefined;

export function configMapId(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The ConfigMaps (namespace/name) a policy object's spec references, read without validating it. */
export function referencedConfigMaps(namespace: string, spec: unknown): string[] {
  const lists = (spec as { ipLists?: unknown } | undefined)?.ipLists;
  if (!Array.isArray(lists)) return [];
  const ids = new Set<string>();
  for (const list of lists as { configMapRef?: { name?: unknown } }[]) {
    const name = list?.configMapRef?.name;
    if (typeof name === 'string' && name !== '') ids.add(configMapId(namespace, name));
  }
  return [...ids];
}

/**
 * Replaces every configMapRef list of a validated policy by its entries as
 * cidrs, reading the ConfigMaps of the policy's namespace. Returns the
 * resolved policy, or one reason per list that cannot be resolved.
 */
export function resolveConfigMapRefs(policy: StepUpPolicy, lookup: ConfigMapLookup): { policy: StepUpPolicy } | { reasons: string[] } {
  const lists = policy.spec.ipLists;
  if (!lists?.some((l) => l.configMapRef)) return { policy };
  const namespace = policy.metadata.namespace ?? 'default';
  const reasons: string[] = [];
  const resolved = lists.map((list, i): IpListSpec => {
    const ref = list.configMapRef;
    if (!ref) return list;
    const at = `spec.ipLists[${i}].configMapRef`;
    const id = configMapId(namespace, ref.name);
    const data = lookup(namespace, ref.name);
    if (!data) {
      reasons.push(`${at}: ConfigMap ${id} not found`);
      return list;
    }
    const text = Object.hasOwn(data, ref.key) ? data[ref.key] : undefined;
    if (text === undefined) {
      reasons.push(`${at}: ConfigMap ${id} has no key "${ref.key}"`);
      return list;
    }
    try {
      const cidrs = parseIpListText(text, `ConfigMap ${id} key ${ref.key}`).map((line) => line.text);
      return { name: list.name, ...(list.flagged !== undefined ? { flagged: list.flagged } : {}), cidrs };
    } catch (err) {
      reasons.push(`${at}: ${(err as Error).message}`);
      return list;
    }
  });
  if (reasons.length > 0) return { reasons };
  return { policy: { ...policy, spec: { ...policy.spec, ipLists: resolved } } };
}

/** The ConfigMaps delivered by the watch, by namespace/name. */
export class ConfigMapStore {
  private readonly data = new Map<string, Readonly<Record<string, string>>>();

  readonly lookup: ConfigMapLookup = (namespace, name) => this.data.get(configMapId(namespace, name));

  /** Records an added or updated ConfigMap; returns its id when its data changed. */
  upsert(object: ConfigMapObject): string | undefined {
    const id = configMapId(object.metadata.namespace ?? 'default', object.metadata.name ?? '');
    const data = Object.freeze({ ...(object.data ?? {}) });
    const prior = this.data.get(id);
    this.data.set(id, data);
    return prior && sameData(prior, data) ? undefined : id;
  }

  /** Forgets a deleted ConfigMap; returns its id when it was known. */
  remove(object: ConfigMapObject): string | undefined {
    const id = configMapId(object.metadata.namespace ?? 'default', object.metadata.name ?? '');
    return this.data.delete(id) ? id : undefined;
  }
}

function sameData(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
