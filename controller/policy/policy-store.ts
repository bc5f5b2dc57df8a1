// The controller's index of StepUpPolicies: every object the watch delivered,
// its verdict (accepted and compiled, or rejected with reasons), and the
// generation sidecars get. A rejected generation never replaces an accepted
// one: the last accepted generation of the same object stays in force.
// Informer events write here; snapshot building and status only read.
import { policyDocument } from '../../common/distribution/policy-document.js';
import { compilePolicy, type CompiledPolicy } from '../../common/policy/compile.js';
import type { LabelSelector, StepUpPolicy } from '../../common/policy/types.js';
import { validatePolicy } from '../../common/policy/validate.js';

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

export function evaluatePolicy(object: PolicyObject): { accepted: AcceptedPolicy } | { reasons: string[] } {
  const doc = { apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata.name, namespace: object.metadata.namespace }, spec: structuredClone(object.spec) };
  const result = validatePolicy(doc);
  if ('errors' in result) return { reasons: result.errors.map((e) => `${e.path ? `${e.path}: ` : ''}${e.message}`) };
  const policy: StepUpPolicy = result.policy;
  const unresolved = unresolvedReferences(policy);
  if (unresolved.length > 0) return { reasons: unresolved };
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
      document: policyDocument(policy),
    }),
  };
}

/**
 * The seam for objects a policy references. IP lists by configMapRef are not
 * resolved by this controller yet (the ConfigMap's entries would have to be
 * watched and carried in the snapshot): such a generation is not accepted,
 * with a reason, rather than sent to sidecars that would refuse it.
 */
function unresolvedReferences(policy: StepUpPolicy): string[] {
  return (policy.spec.ipLists ?? []).flatMap((list, i) =>
    list.configMapRef ? [`spec.ipLists[${i}].configMapRef: IP lists from ConfigMaps are not resolved by this controller version yet; give the entries as cidrs`] : [],
  );
}

function rawSelectorOf(object: PolicyObject): LabelSelector | undefined {
  const spec = object.spec as { selector?: unknown } | undefined;
  return spec?.selector && typeof spec.selector === 'object' ? (spec.selector as LabelSelector) : undefined;
}

export class PolicyStore {
  private readonly entries = new Map<string, PolicyEntry>();
  /** Increases on every change that can alter a snapshot. */
  revision = 0;

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
    const result = evaluatePolicy(object);
    const lastGood = prior?.uid === uid ? prior.inForce : undefined;
    const inForce = 'accepted' in result ? result.accepted : lastGood;
    const rawSelector = rawSelectorOf(object);
    const verdict: Verdict = 'accepted' in result ? { accepted: true } : { accepted: false, reasons: result.reasons };
    this.entries.set(id, { id, namespace, name, uid, generation, object, verdict, ...(inForce ? { inForce } : {}), ...(rawSelector ? { rawSelector } : {}) });
    this.revision++;
    return true;
  }

  remove(object: PolicyObject): boolean {
    const id = `${object.metadata.namespace ?? 'default'}/${object.metadata.name ?? ''}`;
    const existed = this.entries.delete(id);
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
