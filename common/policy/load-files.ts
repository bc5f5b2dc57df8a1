// Reads StepUpPolicy documents from a YAML file or a folder of them, and
// validates each. Errors name the file, the document and the field.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { StepUpPolicy } from './types.js';
import { validatePolicy } from './validate.js';

export interface PolicyLoadError {
  file: string;
  /** 1-based position of the document in its file. */
  document: number;
  /** `namespace/name` when the document got that far. */
  policy?: string;
  path: string;
  message: string;
}

export interface LoadedPolicy {
  policy: StepUpPolicy;
  file: string;
  document: number;
}

export function formatLoadError(e: PolicyLoadError): string {
  const where = `${e.file} (document ${e.document}${e.policy ? `, ${e.policy}` : ''})`;
  return `${where}: ${e.path ? `${e.path}: ` : ''}${e.message}`;
}

/** Files a policy path stands for: the file itself, or a folder's *.yaml, *.yml and *.json (hidden names skipped). */
export function policyFiles(path: string): string[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => !name.startsWith('.') && /\.(ya?ml|json)$/i.test(name))
    .map((name) => join(path, name))
    .filter((file) => statSync(file).isFile())
    .sort();
}

function policyId(doc: unknown): string | undefined {
  const meta = (doc as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
  if (typeof meta?.name !== 'string') return undefined;
  return `${typeof meta.namespace === 'string' ? meta.namespace : 'default'}/${meta.name}`;
}

function loadFile(file: string, loaded: LoadedPolicy[], errors: PolicyLoadError[]): void {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const document = i + 1;
    if (doc.errors.length > 0) {
      for (const err of doc.errors) errors.push({ file, document, path: '', message: `YAML: ${err.message.split('\n')[0]}` });
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return; // an empty document, e.g. after a trailing ---
    const result = validatePolicy(value);
    const policy = policyId(value);
    if ('errors' in result) {
      for (const err of result.errors) errors.push({ file, document, ...(policy ? { policy } : {}), ...err });
    } else {
      loaded.push({ policy: result.policy, file, document });
    }
  });
}

/**
 * Loads every policy under `path`. All problems are collected, so one run
 * shows every mistake; a result with errors must not be used.
 */
export function loadPolicyFiles(path: string): { policies: LoadedPolicy[]; errors: PolicyLoadError[] } {
  const policies: LoadedPolicy[] = [];
  const errors: PolicyLoadError[] = [];
  let files: string[];
  try {
    files = policyFiles(path);
  } catch (err) {
    return { policies, errors: [{ file: path, document: 0, path: '', message: (err as Error).message }] };
  }
  if (files.length === 0) errors.push({ file: path, document: 0, path: '', message: 'no *.yaml, *.yml or *.json files here' });
  for (const file of files) loadFile(file, policies, errors);
  const seen = new Map<string, LoadedPolicy>();
  for (const p of policies) {
    const id = `${p.policy.metadata.namespace ?? 'default'}/${p.policy.metadata.name}`;
    const first = seen.get(id);
    if (first) {
      errors.push({ file: p.file, document: p.document, policy: id, path: 'metadata.name', message: `${id} is also defined in ${first.file} (document ${first.document})` });
    } else seen.set(id, p);
  }
  return { policies, errors };
}
