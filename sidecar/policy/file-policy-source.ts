// Standalone mode: policies come from a YAML file or folder. The set is
// validated as a whole and swapped atomically; a bad edit keeps the last good
// set in force and says why.
import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { selectorMatches } from '../../common/label-selector.js';
import { formatLoadError, loadPolicyFiles } from '../../common/policy/load-files.js';
import { buildPolicySet, type PolicySet } from '../../common/policy/policy-set.js';

export interface Workload {
  /** When set, only policies of this namespace apply. */
  namespace?: string;
  /** When set, policies apply only if their selector matches these labels. */
  labels?: Record<string, string>;
}

export class PolicyLoadFailure extends Error {
  constructor(readonly problems: string[]) {
    super(`policies are not valid:\n  ${problems.join('\n  ')}`);
  }
}

/** The folder relative IP list files are read from: the policy folder, or the policy file's folder. */
export function policyFolder(path: string): string {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ? path : dirname(path);
}

/** Loads, validates and compiles the policies at `path` that apply to the workload. Throws PolicyLoadFailure. */
export function loadPolicySet(path: string, workload: Workload): PolicySet {
  const { policies, errors } = loadPolicyFiles(path);
  if (errors.length > 0) throw new PolicyLoadFailure(errors.map(formatLoadError));
  const applicable = policies
    .map((p) => p.policy)
    .filter((p) => !workload.namespace || (p.metadata.namespace ?? 'default') === workload.namespace)
    .filter((p) => !workload.labels || selectorMatches(p.spec.selector, workload.labels));
  try {
    return buildPolicySet(applicable);
  } catch (err) {
    throw new PolicyLoadFailure([(err as Error).message]);
  }
}

/** Watches `path` and calls onLoad with each new valid set. */
export function watchPolicies(path: string, workload: Workload, log: Logger, onLoad: (set: PolicySet) => void, onError: (problems: string[]) => void): FSWatcher {
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    try {
      onLoad(loadPolicySet(path, workload));
    } catch (err) {
      const problems = err instanceof PolicyLoadFailure ? err.problems : [(err as Error).message];
      log.error({ problems }, 'policy change rejected; the previous policies stay in force');
      onError(problems);
    }
  };
  // Watch the folder, not the file: editors and ConfigMap mounts replace files by rename.
  const isDir = statSync(path).isDirectory();
  const dir = isDir ? path : dirname(path);
  const name = basename(path);
  const watcher = watch(dir, { persistent: false }, (_event, changed) => {
    if (!isDir && changed !== null && changed !== name) return;
    clearTimeout(timer);
    timer = setTimeout(reload, 150); // editors write in several steps
  });
  watcher.on('error', (err) => log.error({ err }, 'policy watch failed'));
  return watcher;
}
