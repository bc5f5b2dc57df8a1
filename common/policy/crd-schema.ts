// Reads the StepUpPolicy schema from the one CRD file in charts/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { packageRoot } from '../package-root.js';

export const CRD_PATH = join('charts', 'stepup', 'files', 'crd-stepuppolicies.yaml');

/** A node of a Kubernetes structural (OpenAPI v3) schema. */
export interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  required?: string[];
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  [key: string]: unknown;
}

let cached: SchemaNode | undefined;

/** The openAPIV3Schema of stepup.dev/v1alpha1 StepUpPolicy. */
export function stepUpPolicySchema(): SchemaNode {
  if (cached) return cached;
  const crd = parse(readFileSync(join(packageRoot(), CRD_PATH), 'utf8')) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: SchemaNode } }[] };
  };
  const version = crd.spec.versions.find((v) => v.name === 'v1alpha1');
  if (!version) throw new Error(`${CRD_PATH} has no v1alpha1 version`);
  cached = version.schema.openAPIV3Schema;
  return cached;
}
