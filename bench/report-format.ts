// Number formats and system labels shared by the sections of docs/benchmarks.md.
import type { SystemId } from './summary.js';

export const LABELS: Record<SystemId, string> = { noop: 'no-op', w1: 'sidecar W1', w2: 'sidecar W2', opa: 'OPA W1', before: 'W1 before' };

export const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : 'n/a');
export const pct = (n: number) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : 'n/a');
