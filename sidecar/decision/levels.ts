// Whether a verified identity meets a level of a policy's ladder.
import type { CompiledLevel } from '../../common/policy/compile.js';
import type { Identity } from './types.js';

function amrHolds(level: CompiledLevel, amr: readonly string[]): boolean {
  if (level.amrAnyOf && !level.amrAnyOf.some((m) => amr.includes(m))) return false;
  if (level.amrAllOf && !level.amrAllOf.every((m) => amr.includes(m))) return false;
  return true;
}

/** acr of this level or a stronger one, and this level's amr constraints. */
export function meetsLevel(level: CompiledLevel, identity: Identity): boolean {
  return identity.acr !== undefined && level.acrAtOrAbove.has(identity.acr) && amrHolds(level, identity.amr);
}

/** The strongest level of the ladder the identity meets, if any. */
export function strongestLevelMet(levels: readonly CompiledLevel[], identity: Identity): CompiledLevel | undefined {
  for (let i = levels.length - 1; i >= 0; i--) {
    const level = levels[i] as CompiledLevel;
    if (meetsLevel(level, identity)) return level;
  }
  return undefined;
}

/** True when the user authenticated at most maxAge seconds before now. */
export function freshEnough(identity: Identity, maxAgeSeconds: number, now: number): boolean {
  return identity.authTime !== undefined && now - identity.authTime <= maxAgeSeconds;
}
