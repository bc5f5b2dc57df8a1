// Turns a snapshot from the controller (or read back from disk) into a policy
// set: check the signature, then validate and compile every policy exactly as
// standalone mode does, and check that the content matches its version.
import type { KeyObject } from 'node:crypto';
import type { SnapshotMessage } from '../../common/distribution/protocol.js';
import { checkSignature } from '../../common/distribution/signing.js';
import { buildPolicySet, type PolicySet } from '../../common/policy/policy-set.js';
import type { StepUpPolicy } from '../../common/policy/types.js';
import { validatePolicy } from '../../common/policy/validate.js';

export interface SnapshotTrust {
  /** Trusted controller keys by key id; undefined in insecure mode (signatures not checked). */
  readonly keys?: ReadonlyMap<string, KeyObject>;
  /** The sidecar's own namespace: every policy must belong to it. */
  readonly namespace: string;
}

export class SnapshotRejected extends Error {}

function parsePolicy(text: string, index: number, namespace: string): StepUpPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SnapshotRejected(`policy ${index}: not JSON: ${(err as Error).message}`);
  }
  const result = validatePolicy(doc);
  if ('errors' in result) {
    const first = result.errors.slice(0, 3).map((e) => `${e.path ? `${e.path}: ` : ''}${e.message}`);
    throw new SnapshotRejected(`policy ${index}: ${first.join('; ')}`);
  }
  if (result.policy.metadata.namespace !== namespace) {
    throw new SnapshotRejected(`policy ${index} (${result.policy.metadata.name}) belongs to namespace ${String(result.policy.metadata.namespace)}, not ${namespace}`);
  }
  return result.policy;
}

/** Checks and compiles a snapshot. Throws SnapshotRejected with a one-line reason. */
export function loadSnapshot(snapshot: SnapshotMessage, trust: SnapshotTrust): PolicySet {
  if (trust.keys) {
    try {
      checkSignature(snapshot, snapshot.signature, snapshot.keyId, trust.keys);
    } catch (err) {
      throw new SnapshotRejected((err as Error).message);
    }
  }
  if (snapshot.namespace !== trust.namespace) throw new SnapshotRejected(`the snapshot is for namespace ${snapshot.namespace}, this pod is in ${trust.namespace}`);
  const policies = snapshot.policies.map((text, i) => parsePolicy(text, i, trust.namespace));
  let set: PolicySet;
  try {
    set = buildPolicySet(policies);
  } catch (err) {
    throw new SnapshotRejected((err as Error).message);
  }
  if (set.version !== snapshot.version) throw new SnapshotRejected(`the content hashes to ${set.version}, the snapshot says ${snapshot.version}`);
  return set;
}
