// The form a policy travels in inside a snapshot: only what the sidecar needs
// to validate and compile it again, as one JSON object.
import { API_VERSION, KIND, type StepUpPolicy } from '../policy/types.js';

export function policyDocument(policy: StepUpPolicy): string {
  const namespace = policy.metadata.namespace ?? 'default';
  return JSON.stringify({ apiVersion: API_VERSION, kind: KIND, metadata: { name: policy.metadata.name, namespace }, spec: policy.spec });
}
