// The status a StepUpPolicy should show, computed from its verdict and the
// sidecar counts. Pure: the writer decides whether and when to write it.
import type { PolicyEntry } from '../policy/policy-store.js';
import type { PolicyCounts } from './sync-report.js';

export interface Condition {
  type: 'Accepted' | 'Enforced';
  status: 'True' | 'False' | 'Unknown';
  observedGeneration: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface PolicyStatus {
  observedGeneration: number;
  version?: string;
  sidecars: { selected: number; inSync: number; rejected: number; summary: string };
  conditions: Condition[];
}

type Draft = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

const MAX_MESSAGE = 2000;

function accepted(entry: PolicyEntry): Draft {
  if (entry.verdict.accepted) return { type: 'Accepted', status: 'True', reason: 'Compiled', message: `valid; compiled to version ${entry.inForce?.version ?? ''}` };
  const reasons = entry.verdict.reasons;
  const more = reasons.length > 5 ? ` (and ${reasons.length - 5} more)` : '';
  return { type: 'Accepted', status: 'False', reason: 'Invalid', message: `${reasons.slice(0, 5).join('; ')}${more}` };
}

function enforced(entry: PolicyEntry, counts: PolicyCounts): Draft {
  const problems = counts.problems.length > 0 ? `: ${counts.problems.join('; ')}` : '';
  if (!entry.verdict.accepted) {
    const kept = entry.inForce ? `sidecars keep enforcing generation ${entry.inForce.generation} (version ${entry.inForce.version})` : 'no earlier accepted generation is known: selected sidecars keep their current snapshot';
    return { type: 'Enforced', status: 'False', reason: 'NotAccepted', message: `generation ${entry.generation} is not accepted; ${kept}` };
  }
  if (counts.rejected > 0) {
    return { type: 'Enforced', status: 'False', reason: 'SnapshotRejected', message: `${counts.rejected} of ${counts.selected} selected sidecars refused the snapshot with this generation${problems}` };
  }
  if (counts.inSync < counts.selected) {
    return { type: 'Enforced', status: 'False', reason: 'Pending', message: `${counts.inSync} of ${counts.selected} selected sidecars enforce generation ${entry.generation}${problems}` };
  }
  if (counts.selected === 0) return { type: 'Enforced', status: 'True', reason: 'NoSidecars', message: 'no connected sidecar is selected by this policy' };
  return { type: 'Enforced', status: 'True', reason: 'AllInSync', message: `all ${counts.selected} selected sidecars enforce generation ${entry.generation}` };
}

function finish(draft: Draft, generation: number, previous: readonly Condition[], now: string): Condition {
  const prior = previous.find((c) => c.type === draft.type);
  const lastTransitionTime = prior && prior.status === draft.status && prior.lastTransitionTime ? prior.lastTransitionTime : now;
  return { ...draft, message: draft.message.slice(0, MAX_MESSAGE), observedGeneration: generation, lastTransitionTime };
}

/** The status `entry` should have; lastTransitionTime is kept from `current` while a condition's status is unchanged. */
export function desiredStatus(entry: PolicyEntry, counts: PolicyCounts, current: Partial<PolicyStatus> | undefined, now: Date): PolicyStatus {
  const previous = Array.isArray(current?.conditions) ? current.conditions : [];
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    observedGeneration: entry.generation,
    ...(entry.verdict.accepted && entry.inForce ? { version: entry.inForce.version } : {}),
    sidecars: { selected: counts.selected, inSync: counts.inSync, rejected: counts.rejected, summary: `${counts.inSync}/${counts.selected}` },
    conditions: [finish(accepted(entry), entry.generation, previous, stamp), finish(enforced(entry, counts), entry.generation, previous, stamp)],
  };
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** True when two statuses say the same thing (key order does not matter). */
export function sameStatus(a: unknown, b: unknown): boolean {
  return canonical(a ?? null) === canonical(b ?? null);
}
