// The controller's index of StepUpPolicies: every object the watch delivered,
// its verdict (accepted and compiled, or rejected with reasons), and the
// generation sidecars get. A rejected generation never replaces an accepted
// one: the last accepted generation of the same object stays in force.
// IP lists a policy takes from ConfigMaps are read when it is evaluated, and
// a ConfigMap change re-evaluates the policies that reference it
// (configMapChanged); a verdict can thus change without a new generation.
// Informer events write here; snapshot building and status only read.
import { policyDocument } from '../../common/distribution/policy-document.js';
import { compilePolicy, type CompiledPolicy } from '../../common/policy/compile.js';
import type { LabelSelector, StepUpPolicy } from '../../common/policy/types.js';
import { validatePolicy } from '../../common/policy/validate.js';
import { NO_CONFIGMAPS, referencedConfigMaps, resolveConfigMapRefs, type ConfigMapLookup } from './configmap-refs.js';

/** A StepUpPolicy as the API server returns it. */
export interface PolicyObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string; generation?: number; resourceVersion?: string; creationTimestamp?: Date };
  spec?: unknown;
  status?: Record<string, unknown>;
}

/** One accepted generation, ready to be put in snapshots. */
export interface AcceptedPolicy {
  readonly generation: number;
  /** Content hash of the spec (CompiledPolicy.version). */
  readonly version: string;
  readonly selector?: LabelSelector;
  readonly compiled: CompiledPolicy;
  /** The JSON document sent to sidecars. */
  readonly document: string;
}

export type Verdict = { readonly accepted: true } | { readonly accepted: false; readonly reasons: readonly string[] };

export interface PolicyEntry {
  /** namespace/name */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
  readonly object: PolicyObject;
  readonly verdict: Verdict;
  /** What sidecars get: this generation when accepted, else the last accepted one of this object, if known. */
  readonly inForce?: AcceptedPolicy;
  /** The selector to use when nothing is in force (to know which sidecars must wait). */
  readonly rawSelector?: LabelSelector;
}

export function evaluatePolicy(object: PolicyObject, configMaps: ConfigMapLookup = NO_CONFIGMAPS): { accepted: AcceptedPolicy } | { reasons: string[] } {
  const doc = { apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata.name, namespace: object.metadata.namespace }, spec: structuredClone(object.spec) };
  const result = validatePolicy(doc);
  if ('errors' in result) return { reasons: result.errors.map((e) => `${e.path ? `${e.path}: ` : ''}${e.message}`) };
  const resolved = resolveConfigMapRefs(result.policy, configMaps);
  if ('reasons' in resolved) return resolved;
  const policy: StepUpPolicy = resolved.policy;
  const document = policyDocument(policy);
  if (policy !== result.policy) {
    const again = sidecarCheck(document);
    if (again.length > 0) return { reasons: again };
  }
  let compiled: CompiledPolicy;
  try {
    compiled = compilePolicy(policy);
  } catch (err) {
    return { reasons: [(err as Error).message] };
  }
  return {
    accepted: Object.freeze({
      generation: object.metadata.generation ?? 0,
      version: compiled.version,
      ...(policy.spec.selector ? { selector: policy.spec.selector } : {}),
      compiled,
      document,
    }),
  };
}

/**
 * A document with resolved configMapRef lists is validated once more, as the
 * sidecar will (e.g. at most 1000 entries per list): what a sidecar would
 * refuse is not accepted here, with the reason on the configMapRef.
 */
function sidecarCheck(document: string): string[] {
  const result = validatePolicy(JSON.parse(document));
  if (!('errors' in result)) return [];
  return result.errors.map((e) => `${e.path.replace(/^(spec\.ipLists\[\d+\])\.cidrs.*$/, '$1.configMapRef')}: ${e.message} (after reading the ConfigMap)`);
}

function rawSelectorOf(object: PolicyObject): LabelSelector | undefined {
  const spec = object.spec as { selector?: unknown } | undefined;
  return spec?.selector && typeof spec.selector === 'object' ? (spec.selector as LabelSelector) : undefined;
}

function sameVerdict(a: Verdict, b: Verdict): boolean {
  if (a.accepted || b.accepted) return a.accepted === b.accepted;
  return a.reasons.length === b.reasons.length && a.reasons.every((r, i) => r === b.reasons[i]);
}

export class PolicyStore {
  private readonly entries = new Map<string, PolicyEntry>();
  /** ConfigMap id (namespace/name) -> ids of the policies whose spec references it. */
  private readonly references = new Map<string, Set<string>>();
  /** Increases on every change that can alter a snapshot. */
  revision = 0;

  constructor(private readonly configMaps: ConfigMapLookup = NO_CONFIGMAPS) {}

  /** Records an added or updated object. Returns true when what sidecars get may have changed. */
  upsert(object: PolicyObject): boolean {
    const namespace = object.metadata.namespace ?? 'default';
    const name = object.metadata.name ?? '';
    const id = `${namespace}/${name}`;
    const uid = object.metadata.uid ?? '';
    const generation = object.metadata.generation ?? 0;
    const prior = this.entries.get(id);
    if (prior && prior.uid === uid && prior.generation === generation) {
      this.entries.set(id, { ...prior, object }); // a status or metadata change only
      return false;
    }
    this.evaluate(id, object, prior?.uid === uid ? prior.inForce : undefined);
    this.index(id, referencedConfigMaps(namespace, object.spec));
    this.revision++;
    return true;
  }

  /**
   * A referenced ConfigMap was added, changed or deleted: re-evaluates the
   * policies that reference it. Returns the ids of those whose verdict or
   * document changed.
   */
  configMapChanged(configMapId: string): string[] {
    const changed: string[] = [];
    for (const id of this.references.get(configMapId) ?? []) {
      const prior = this.entries.get(id);
      if (!prior) continue;
      const next = this.evaluate(id, prior.object, prior.inForce);
      if (sameVerdict(prior.verdict, next.verdict) && prior.inForce?.version === next.inForce?.version) continue;
      changed.push(id);
    }
    if (changed.length > 0) this.revision++;
    return changed;
  }

  /** ConfigMap ids referenced by at least one policy. */
  referencedConfigMaps(): string[] {
    return [...this.references.keys()];
  }

  private evaluate(id: string, object: PolicyObject, lastGood: AcceptedPolicy | undefined): PolicyEntry {
    const namespace = object.metadata.namespace ?? 'default';
    const result = evaluatePolicy(object, this.configMaps);
    const inForce = 'accepted' in result ? result.accepted : lastGood;
    const rawSelector = rawSelectorOf(object);
    const verdict: Verdict = 'accepted' in result ? { accepted: true } : { accepted: false, reasons: result.reasons };
    const entry: PolicyEntry = {
      id, namespace, name: object.metadata.name ?? '', uid: object.metadata.uid ?? '', generation: object.metadata.generation ?? 0, object, verdict,
      ...(inForce ? { inForce } : {}), ...(rawSelector ? { rawSelector } : {}),
    };
    this.entries.set(id, entry);
    return entry;
  }

  private index(id: string, configMapIds: readonly string[]): void {
    for (const [cm, ids] of this.references) {
      if (ids.delete(id) && ids.size === 0) this.references.delete(cm);
    }
    for (const cm of configMapIds) {
      const ids = this.references.get(cm) ?? new Set<string>();
      ids.add(id);
      this.references.set(cm, ids);
    }
  }

  remove(object: PolicyObject): boolean {
    const id = `${object.metadata.namespace ?? 'default'}/${object.metadata.name ?? ''}`;
    const existed = this.entries.delete(id);
    this.index(id, []);
    if (existed) this.revision++;
    return existed;
  }

  get(id: string): PolicyEntry | undefined {
    return this.entries.get(id);
  }

  all(): IterableIterator<PolicyEntry> {
    return this.entries.values();
  }

  /** Entries of one namespace (a linear scan; namespaces are few per cluster). */
  inNamespace(namespace: string): PolicyEntry[] {
    return [...this.entries.values()].filter((e) => e.namespace === namespace);
  }
}
