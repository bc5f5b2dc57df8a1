// Counts, per policy, the connected sidecars it selects and how many of them
// enforce its current generation. Each replica counts its own sessions (its
// "sync report"); the leader adds up every replica's report.
import { selectorMatches } from '../../common/label-selector.js';
import type { SidecarSession } from '../distribution/sidecar-session.js';
import type { PolicyEntry, PolicyStore } from '../policy/policy-store.js';

export interface PolicyCounts {
  /** The policy version these counts are about ('' when the generation is not accepted). */
  readonly version: string;
  readonly selected: number;
  readonly inSync: number;
  readonly rejected: number;
  /** A few reasons why selected sidecars are not in sync. */
  readonly problems: readonly string[];
}

/** Policy id -> counts. */
export type SyncReport = Readonly<Record<string, PolicyCounts>>;

const MAX_PROBLEMS = 3;

function byNamespace(sessions: Iterable<SidecarSession>): Map<string, SidecarSession[]> {
  const out = new Map<string, SidecarSession[]>();
  for (const s of sessions) {
    const list = out.get(s.identity.namespace);
    if (list) list.push(s);
    else out.set(s.identity.namespace, [s]);
  }
  return out;
}

function countPolicy(entry: PolicyEntry, sessions: readonly SidecarSession[]): PolicyCounts {
  const version = entry.verdict.accepted && entry.inForce ? entry.inForce.version : '';
  const selector = entry.inForce?.selector ?? entry.rawSelector;
  let selected = 0;
  let inSync = 0;
  let rejected = 0;
  const problems: string[] = [];
  for (const s of sessions) {
    if (!selectorMatches(selector, s.identity.labels)) continue;
    selected++;
    if (version && s.enforces(entry.id, version)) {
      inSync++;
      continue;
    }
    if (version && s.refused(entry.id, version)) rejected++;
    const problem = s.problem;
    if (problem && problems.length < MAX_PROBLEMS) problems.push(`${s.identity.podName}: ${problem}`);
  }
  return { version, selected, inSync, rejected, problems };
}

/** This replica's report over its own sessions. */
export function localReport(store: PolicyStore, sessions: Iterable<SidecarSession>): SyncReport {
  const grouped = byNamespace(sessions);
  const report: Record<string, PolicyCounts> = {};
  for (const entry of store.all()) report[entry.id] = countPolicy(entry, grouped.get(entry.namespace) ?? []);
  return report;
}

/** Adds up the reports of every live replica for one policy at `version`. A replica that counted another version contributes its selected sidecars but none in sync. */
export function mergeCounts(reports: readonly SyncReport[], id: string, version: string): PolicyCounts {
  let selected = 0;
  let inSync = 0;
  let rejected = 0;
  const problems: string[] = [];
  for (const report of reports) {
    const c = report[id];
    if (!c) continue;
    selected += c.selected;
    if (c.version === version) {
      inSync += c.inSync;
      rejected += c.rejected;
      problems.push(...c.problems);
    } else if (c.selected > 0) {
      problems.push(`${c.selected} sidecar(s) on a replica that has not seen this generation yet`);
    }
  }
  return { version, selected, inSync, rejected, problems: problems.slice(0, MAX_PROBLEMS) };
}
