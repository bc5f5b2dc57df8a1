#!/usr/bin/env node
// stepup-sidecar: wires configuration, logging, policies, identity, signals
// and the two servers. All I/O is set up here; the decision stays pure.
// First import, evaluated before the others: it may restart the process with V8 flags.
import './restart-with-heap-flags.js';
import cluster from 'node:cluster';
import { pino, type Logger } from 'pino';
import { packageVersion, runCli } from '../common/cli.js';
import { parseLabels } from '../common/label-selector.js';
import { createCheckHandler, type PolicyRuntime } from './check-service.js';
import { helpText, parseConfig, type SidecarConfig } from './config.js';
import { JwksRegistry } from './identity/jwks-registry.js';
import { decisionWriter } from './decision-log.js';
import { createMetrics } from './metrics.js';
import type { PolicySet } from '../common/policy/policy-set.js';
import { loadPolicySet, policyFolder, watchPolicies, type Workload } from './policy/file-policy-source.js';
import { buildRuntime } from './runtime.js';
import { startGrpcServer } from './server/grpc-server.js';
import { startHttpServer } from './server/http-server.js';
import { checkSharedState } from './signals/shared-state.js';
import { createSignalService } from './signals/signal-service.js';
import { linkToPrimary, type SnapshotHandlers, type WorkerLink } from './workers/worker-link.js';

// Fixed paths only: wildcard paths cost about 12 µs on every log line (measured),
// and the decision log never carries headers or tokens in the first place.
const REDACT = ['headers.authorization', 'headers.cookie', 'req.headers.authorization', 'req.headers.cookie', 'token', 'access_token', 'id_token'];

function workloadOf(config: SidecarConfig): Workload {
  return {
    ...(config.podNamespace ? { namespace: config.podNamespace } : {}),
    ...(config.podLabels !== undefined ? { labels: parseLabels(config.podLabels) } : {}),
  };
}

interface Logging {
  readonly log: Logger;
  /** pino's default destination (stdout, asynchronous, flushed at exit), named so decision lines can be written to it directly. */
  readonly destination: ReturnType<typeof pino.destination>;
  readonly base: Readonly<Record<string, unknown>>;
}

function logging(config: SidecarConfig, extra: Record<string, unknown>): Logging {
  const base = { component: 'stepup-sidecar', ...extra };
  const destination = pino.destination({ dest: 1 });
  return { log: pino({ level: config.logLevel, base, redact: { paths: REDACT, censor: '[redacted]' } }, destination), destination, base };
}

async function run(config: SidecarConfig): Promise<void> {
  if (config.workers === 1) return serve(config, logging(config, {}));
  if (cluster.isPrimary) {
    // Refuse a bad or state-splitting policy set here, once, before any worker starts.
    if (config.policies) checkSharedState(loadPolicySet(config.policies, workloadOf(config)), config);
    // Loaded only with --workers > 1 (it brings the controller-mode client along).
    const { runPrimary } = await import('./workers/primary.js');
    return runPrimary(config, logging(config, { role: 'primary' }).log);
  }
  // A worker: its lines carry its id and pid, so a reader can tell which one decided.
  const link = linkToPrimary();
  try {
    await serve(config, logging(config, { worker: cluster.worker?.id, pid: process.pid }), link);
  } catch (err) {
    await link.fatal((err as Error).message);
    process.exit(1);
  }
}

/** The Check server, and (without a primary) the HTTP server: one process's whole sidecar. */
async function serve(config: SidecarConfig, logs: Logging, link?: WorkerLink): Promise<void> {
  const { log } = logs;
  const metrics = createMetrics();
  const nowMs = () => Date.now();
  const jwks = new JwksRegistry(
    { maxAgeMs: config.jwksMaxAgeSeconds * 1000, staleMaxAgeMs: config.jwksStaleMaxAgeSeconds * 1000, cooldownMs: config.jwksCooldownSeconds * 1000, timeoutMs: config.jwksTimeoutMs, retries: config.jwksRetries, maxBytes: 256 * 1024 },
    nowMs,
    (jwksUri, result, error) => {
      metrics.jwksFetches.inc({ jwks_uri: jwksUri, result });
      if (error) log.warn({ jwks_uri: jwksUri, err: error.message }, 'JWKS fetch failed');
    },
  );
  const verifierOpts = { clockSkewSeconds: config.clockSkewSeconds, cacheTtlSeconds: config.tokenCacheTtlSeconds, cacheSize: config.tokenCacheSize };
  const workload = workloadOf(config);
  // Relative IP list files: from the policy folder (standalone), else the working directory.
  const listBase = config.policies ? policyFolder(config.policies) : process.cwd();
  const signals = await createSignalService(config, log, metrics.registry);

  let runtime: PolicyRuntime | undefined;
  /** Checks a set and builds what enforcing it takes; throws to refuse it. */
  const prepare = (set: PolicySet): PolicyRuntime => {
    checkSharedState(set, config); // several workers on the memory store: refuse sets that keep state
    return buildRuntime(set, jwks, verifierOpts, nowMs, listBase);
  };
  const use = (next: PolicyRuntime, how: string) => {
    runtime = next;
    metrics.policyReloads.inc({ result: 'ok' });
    log.info({ policies: next.set.policies.map((p) => `${p.id}@${p.version}`), version: next.set.version }, `policies ${how}`);
  };
  const apply = (set: PolicySet, how: string) => use(prepare(set), how);
  const rejected = () => metrics.policyReloads.inc({ result: 'rejected' });
  let snapshots: SnapshotHandlers | undefined;
  if (config.policies) {
    apply(loadPolicySet(config.policies, workload), 'loaded');
    watchPolicies(config.policies, workload, log, (set) => apply(set, 'reloaded'), rejected);
  } else if (link) {
    // Controller mode under a --workers primary: the primary holds the one
    // stream and relays each snapshot in two phases (prepare, then commit).
    // Loaded only in controller mode: the distribution client and its protos cost resident memory.
    const { snapshotTrust } = await import('./policy/controller-mode.js');
    const { loadSnapshot } = await import('./policy/snapshot-loader.js');
    const trust = snapshotTrust(config);
    let staged: { version: string; runtime: PolicyRuntime } | undefined;
    snapshots = {
      prepare: (snapshot) => {
        staged = undefined;
        staged = { version: snapshot.version, runtime: prepare(loadSnapshot(snapshot, trust)) };
      },
      commit: (version) => {
        if (staged?.version !== version) return void log.error({ version, staged: staged?.version }, 'asked to switch to a snapshot that is not prepared; the current one stays');
        use(staged.runtime, 'received from the controller (through the primary)');
        staged = undefined;
      },
      abort: (version) => {
        if (staged?.version === version) staged = undefined;
        rejected();
      },
    };
  } else {
    // Loaded only in controller mode: the distribution client and its protos cost resident memory.
    const { startControllerMode } = await import('./policy/controller-mode.js');
    startControllerMode(config, packageVersion(), log, { onSet: (set, from) => apply(set, from === 'disk' ? 'loaded from the state directory' : 'received from the controller'), onReject: rejected });
  }

  const check = createCheckHandler({
    runtime: () => runtime,
    signals: signals.source,
    log,
    writeDecision: decisionWriter(log, logs.destination, logs.base),
    metrics,
    nowMs,
    options: { deadlineMs: config.deadlineMs, realm: config.realm, browserRedirect: config.browserRedirect },
  });
  const { server, port } = await startGrpcServer(config.listen, check, log);
  // Ready while a policy set is in force; a degraded signal store shows in the detail (docs/signals.md).
  const health = { ready: () => runtime !== undefined, detail: () => (runtime ? `policies ${runtime.set.version}; signals ${signals.store.status().detail}` : 'no policy snapshot yet: failing closed') };
  let http: Awaited<ReturnType<typeof startHttpServer>> | undefined;
  if (link) {
    // The primary serves HTTP for every worker; it asks this one over IPC.
    link.answer({ health: () => ({ ready: health.ready(), detail: health.detail() }), metrics: () => metrics.registry.getMetricsAsJSON(), orphaned: () => stop('primary gone'), ...(snapshots ? { snapshots } : {}) });
    link.serving(port);
    log.info({ listen: config.listen, port }, 'serving Checks');
  } else {
    http = await startHttpServer(config.httpListen, health, metrics.registry);
    log.info({ listen: config.listen, port, http: config.httpListen }, 'stepup-sidecar serving');
  }

  function stop(signal: string): void {
    log.info({ signal }, 'stopping');
    http?.close();
    server.tryShutdown(() => void signals.close().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 2000).unref();
  }
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

await runCli({ name: 'stepup-sidecar', parse: () => parseConfig(process.argv.slice(2), process.env), help: helpText, run });
