// Which rules of a policy set depend on state the signal store keeps between
// requests (counters, known devices, places, risk events, used token ids).
// The in-memory store is per process: with several worker processes and no
// Redis, each worker would keep its own copy, so a velocity count would be
// split, a single-use token could pass once per worker. Such sets are refused
// there (fail closed); static signals (IP lists, geo) need no shared state.
import type { PolicySet } from '../../common/policy/policy-set.js';
import type { SidecarConfig } from '../config.js';

/** Signal groups computed from the request alone (see common/policy/compile.ts, LOCAL_SIGNALS). */
const LOCAL_GROUPS = new Set(['ip', 'geo']);

/** The `signals.<group>` names a condition reads beyond the local ones; `signals` when it reads them in a way that cannot be told apart. */
function storedGroups(when: string): string[] {
  const named = [...when.matchAll(/\bsignals\s*\.\s*(\w+)/g)].map((m) => m[1] as string).filter((g) => !LOCAL_GROUPS.has(g));
  const bare = /\bsignals\b(?!\s*\.)/.test(when);
  return [...new Set([...named.map((g) => `signals.${g}`), ...(bare ? ['signals'] : [])])];
}

/** One line per rule that keeps state: `<policy id> rule <name>: <what>`. Empty when the set keeps none. */
export function stateKeepingRules(set: PolicySet): string[] {
  const out: string[] = [];
  for (const policy of set.policies) {
    for (const rule of policy.rules) {
      const what = [...(rule.readsStoredSignals && rule.whenText !== undefined ? storedGroups(rule.whenText) : []), ...(rule.afterRisk ? ['require.afterRisk'] : []), ...(rule.singleUse ? ['require.singleUse'] : [])];
      if (rule.readsStoredSignals && what.length === 0) what.push('stored signals');
      if (what.length > 0) out.push(`${policy.id} rule ${rule.name}: ${what.join(', ')}`);
    }
  }
  return out;
}

/** True when signals stay in this process's memory (no Redis of any kind configured). */
export function usesMemoryStore(config: Pick<SidecarConfig, 'redisUrl' | 'redisSentinels' | 'redisCluster'>): boolean {
  return config.redisUrl === undefined && config.redisSentinels === undefined && config.redisCluster === undefined;
}

export class SharedStateRefused extends Error {}

/**
 * Throws SharedStateRefused when `set` keeps state and that state would be
 * split across worker processes (more than one worker, memory store).
 */
export function checkSharedState(set: PolicySet, config: Pick<SidecarConfig, 'workers' | 'redisUrl' | 'redisSentinels' | 'redisCluster'>): void {
  if (config.workers <= 1 || !usesMemoryStore(config)) return;
  const rules = stateKeepingRules(set);
  if (rules.length === 0) return;
  const shown = rules.slice(0, 5).join('; ') + (rules.length > 5 ? `; and ${rules.length - 5} more` : '');
  throw new SharedStateRefused(
    `with --workers ${config.workers} and the in-memory signal store, each worker process would keep its own signal state (a single-use token could pass once per worker, counts would be split), so policies that keep state are refused: ${shown}. Add --redis <url> (or --redis-sentinels / --redis-cluster) so the workers share one store, or use --workers 1`,
  );
}
