// The Check pipeline, phase by phase: read attributes, identify the caller,
// gather signals, decide, answer, record. It never throws: any fault, and any
// answer later than the deadline, becomes one fail-closed response.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { PolicySet } from '../common/policy/policy-set.js';
import { decide } from './decision/decide.js';
import type { Decision, IdentityResult, RequestAttributes } from './decision/types.js';
import { toCheckResponse, type CheckResponseMessage } from './envoy/check-response.js';
import { toRequestAttributes, type CheckRequestMessage } from './envoy/check-request.js';
import { identify } from './identity/identify.js';
import type { TokenVerifier } from './identity/token-verifier.js';
import { recordMetrics, type DecisionRecord, type DecisionWriter } from './decision-log.js';
import type { Metrics } from './metrics.js';
import { toHttpOutcome, type HttpOutcome, type ResponseOptions } from './response/http-response.js';
import type { SignalSetup } from './signals/signal-setup.js';
import { NOT_GATHERED, type GatheredSignals, type SignalSource } from './signals/signals.js';

/** The policies in force and the verifier for their issuers, swapped together. */
export interface PolicyRuntime {
  readonly set: PolicySet;
  readonly verifier: TokenVerifier;
  /** IP lists, device sources and single-use matchers of the set, built with it. */
  readonly signals: SignalSetup;
}

export interface CheckDeps {
  /** The runtime in force, or undefined while none could be loaded (fail closed). */
  readonly runtime: () => PolicyRuntime | undefined;
  readonly signals: SignalSource;
  readonly log: Logger;
  /** One decision log line per Check (decision-log.ts). */
  readonly writeDecision: DecisionWriter;
  readonly metrics: Metrics;
  readonly nowMs: () => number;
  readonly options: ResponseOptions & { deadlineMs: number };
}

interface Evaluation {
  request?: RequestAttributes;
  identity?: IdentityResult;
  runtime?: PolicyRuntime;
  decision?: Decision;
  gathered?: GatheredSignals;
}

function failure(reason: string, description: string): Decision {
  return { outcome: 'unavailable', reason, description, hits: [] };
}

async function evaluate(msg: CheckRequestMessage, deps: CheckDeps, ev: Evaluation): Promise<void> {
  ev.runtime = deps.runtime();
  ev.request = toRequestAttributes(msg, ev.runtime?.set.readsBody ?? false);
  if (!ev.runtime) {
    ev.decision = failure('no_policy', 'No policy is loaded yet.');
    return;
  }
  ev.identity = await identify(ev.request, ev.runtime.verifier);
  const now = deps.nowMs() / 1000;
  const gathered = ev.runtime.set.readsSignals ? await deps.signals.gather({ request: ev.request, identity: ev.identity, setup: ev.runtime.signals, now }) : NOT_GATHERED;
  ev.gathered = gathered;
  ev.decision = decide({
    request: ev.request,
    identity: ev.identity,
    signals: gathered.signals,
    policies: ev.runtime.set.policies,
    now,
    ...(gathered.unavailable !== undefined ? { signalsUnavailable: gathered.unavailable } : {}),
    ...(gathered.tokenUse ? { tokenUse: gathered.tokenUse } : {}),
  });
}

/** Settles with 'done' when `work` does, or 'late' after `ms`; one timer, no race of promises. */
function withDeadline(work: Promise<void>, ms: number): Promise<'done' | 'late'> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms, 'late');
    work.then(
      () => {
        clearTimeout(timer);
        resolve('done');
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

const FALLBACK_REQUEST: RequestAttributes = Object.freeze({ id: '', method: '', path: '', host: '', scheme: '', headers: {}, query: {}, body: null, bodyState: 'none', sourceAddress: '', route: {} });

export function createCheckHandler(deps: CheckDeps): (msg: CheckRequestMessage) => Promise<CheckResponseMessage> {
  return async (msg) => {
    const started = performance.now();
    const decisionId = randomUUID();
    const ev: Evaluation = {};
    let decision: Decision;
    try {
      const work = evaluate(msg, deps, ev);
      const finished = await withDeadline(work, deps.options.deadlineMs);
      work.catch((err: unknown) => deps.log.error({ err, decision_id: decisionId }, 'check failed after its deadline'));
      decision = finished === 'late' ? failure('deadline_exceeded', 'The decision took too long.') : (ev.decision ?? failure('internal_error', 'No decision was made.'));
    } catch (err) {
      deps.log.error({ err, decision_id: decisionId }, 'check failed');
      decision = failure('internal_error', 'The authorization service failed.');
    }
    const subject = ev.identity?.kind === 'verified' ? ev.identity.identity.subject : undefined;
    const http: HttpOutcome = toHttpOutcome(decision, ev.request ?? FALLBACK_REQUEST, { decisionId, ...(subject !== undefined ? { subject } : {}) }, deps.options);
    const record: DecisionRecord = { decisionId, request: ev.request, identity: ev.identity, decision, policySet: ev.runtime?.set, signals: ev.gathered?.summary, status: http.kind === 'allow' ? 200 : http.status, latencyMs: performance.now() - started };
    deps.writeDecision(record);
    recordMetrics(deps.metrics, record);
    // What this request taught (device, rate, risk event): only when decided in time, and after the answer is on its way.
    const learned = ev.decision === decision ? ev.gathered : undefined;
    if (learned) setImmediate(() => learned.record(decision.outcome));
    return toCheckResponse(http, {
      decision_id: decisionId,
      outcome: decision.outcome,
      reason: decision.reason,
      rules: decision.hits.map((h) => `${h.policy}/${h.rule}`),
      ...(ev.runtime ? { policy_version: ev.runtime.set.version } : {}),
    });
  };
}
