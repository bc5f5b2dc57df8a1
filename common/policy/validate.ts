// Validates a StepUpPolicy document the way the API server would: the CRD's
// OpenAPI schema (with defaults and unknown fields refused), list-map keys,
// the CRD's CEL validation rules, then a compile of every `when`.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { compileValidationRule, compileWhen, firstLine } from '../cel.js';
import { parseCidr } from '../net/ip-address.js';
import { stepUpPolicySchema, type SchemaNode } from './crd-schema.js';
import { API_VERSION, KIND, type StepUpPolicy } from './types.js';

/** One problem in a policy document, located by a field path like `spec.rules[1].when`. */
export interface FieldError {
  path: string;
  message: string;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Turns the structural schema into a JSON Schema that refuses unknown fields. */
function toJsonSchema(node: SchemaNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-') || key === 'format') continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, SchemaNode>).map(([k, v]) => [k, toJsonSchema(v)]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && typeof value === 'object') {
      out[key] = toJsonSchema(value as SchemaNode);
    } else {
      out[key] = value;
    }
  }
  if (node.properties && node.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

let validator: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
    validator = ajv.compile(toJsonSchema(stepUpPolicySchema()));
  }
  return validator;
}

function ajvPath(err: ErrorObject): string {
  const parts = err.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (err.keyword === 'additionalProperties') parts.push(String(err.params.additionalProperty));
  if (err.keyword === 'required') parts.push(String(err.params.missingProperty));
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function ajvMessage(err: ErrorObject): string {
  if (err.keyword === 'additionalProperties') return 'unknown field (check its spelling and indentation)';
  if (err.keyword === 'required') return 'required field is missing';
  if (err.keyword === 'enum') return `must be one of ${(err.params.allowedValues as unknown[]).join(', ')}`;
  return err.message ?? 'invalid';
}

type Visitor = (schema: SchemaNode, value: unknown, path: string) => void;

/** Calls visit for every (schema node, value) pair present in the document. */
function walk(schema: SchemaNode, value: unknown, path: string, visit: Visitor): void {
  if (value === undefined) return;
  visit(schema, value, path);
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => walk(schema.items as SchemaNode, item, `${path}[${i}]`, visit));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const child = schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (child) walk(child, v, path ? `${path}.${k}` : k, visit);
    }
  }
}

const ruleCache = new Map<string, (self: unknown) => unknown>();
function checkCelRules(schema: SchemaNode, value: unknown, path: string, errors: FieldError[]): void {
  for (const { rule, message } of schema['x-kubernetes-validations'] ?? []) {
    let program = ruleCache.get(rule);
    if (!program) ruleCache.set(rule, (program = compileValidationRule(rule)));
    let ok: unknown;
    try {
      ok = program(value);
    } catch (err) {
      ok = false;
      errors.push({ path, message: `validation rule failed to evaluate: ${firstLine((err as Error).message)}` });
      continue;
    }
    if (ok !== true) errors.push({ path, message: message ?? `failed rule: ${rule}` });
  }
}

function checkListMapKeys(schema: SchemaNode, value: unknown, path: string, errors: FieldError[]): void {
  if (schema['x-kubernetes-list-type'] !== 'map' || !Array.isArray(value)) return;
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Map<string, number>();
  value.forEach((item, i) => {
    const key = JSON.stringify(keys.map((k) => (item as Record<string, unknown>)?.[k]));
    const first = seen.get(key);
    if (first !== undefined) errors.push({ path: `${path}[${i}]`, message: `duplicate ${keys.join('/')} (same as ${path}[${first}])` });
    else seen.set(key, i);
  });
}

function checkEnvelope(doc: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  if (doc.apiVersion !== API_VERSION) errors.push({ path: 'apiVersion', message: `must be ${API_VERSION}` });
  if (doc.kind !== KIND) errors.push({ path: 'kind', message: `must be ${KIND}` });
  const meta = doc.metadata as Record<string, unknown> | undefined;
  if (!meta || typeof meta !== 'object') return [...errors, { path: 'metadata', message: 'required field is missing' }];
  if (typeof meta.name !== 'string' || !DNS_SUBDOMAIN.test(meta.name) || meta.name.length > 253) {
    errors.push({ path: 'metadata.name', message: 'must be a lower-case DNS name (a-z, 0-9, "-", ".")' });
  }
  if (meta.namespace !== undefined && (typeof meta.namespace !== 'string' || !DNS_SUBDOMAIN.test(meta.namespace))) {
    errors.push({ path: 'metadata.namespace', message: 'must be a lower-case DNS name' });
  }
  return errors;
}

function checkWhenExpressions(policy: StepUpPolicy): FieldError[] {
  const errors: FieldError[] = [];
  policy.spec.rules.forEach((rule, i) => {
    if (rule.when === undefined) return;
    try {
      compileWhen(rule.when);
    } catch (err) {
      errors.push({ path: `spec.rules[${i}].when`, message: `CEL: ${(err as Error).message}` });
    }
  });
  return errors;
}

function checkCidrs(policy: StepUpPolicy): FieldError[] {
  const errors: FieldError[] = [];
  policy.spec.ipLists?.forEach((list, i) => {
    list.cidrs?.forEach((cidr, j) => {
      if (!parseCidr(cidr)) errors.push({ path: `spec.ipLists[${i}].cidrs[${j}]`, message: `"${cidr}" is not an IPv4 or IPv6 address or CIDR block` });
    });
  });
  return errors;
}

/**
 * Validates one parsed document in place (defaults are filled in, as the API
 * server would). Returns the policy, or the list of problems.
 */
export function validatePolicy(doc: unknown): { policy: StepUpPolicy } | { errors: FieldError[] } {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return { errors: [{ path: '', message: 'a policy document must be a YAML mapping' }] };
  }
  const envelope = checkEnvelope(doc as Record<string, unknown>);
  const validate = schemaValidator();
  if (!validate(doc)) {
    const schemaErrors = (validate.errors ?? []).map((e) => ({ path: ajvPath(e), message: ajvMessage(e) }));
    return { errors: [...envelope, ...schemaErrors] };
  }
  const errors = [...envelope];
  walk(stepUpPolicySchema(), doc, '', (schema, value, path) => {
    checkListMapKeys(schema, value, path, errors);
    checkCelRules(schema, value, path, errors);
  });
  if (errors.length > 0) return { errors };
  const policy = doc as StepUpPolicy;
  const compileErrors = [...checkWhenExpressions(policy), ...checkCidrs(policy)];
  return compileErrors.length > 0 ? { errors: compileErrors } : { policy };
}
