#!/usr/bin/env node
// stepup-sidecar: wires configuration, logging, policies, identity, signals
// and the two servers. All I/O is set up here; the decision stays pure.
// First import, evaluated before the others: it may restart the process with V8 flags.
import './restart-with-heap-flags.js';
import { pino } from 'pino';
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
import { createSignalService } from './signals/signal-service.js';

// Fixed paths only: wildcard paths cost about 12 µs on every log line (measured),
// and the decision log never carries headers or tokens in the first place.
const REDACT = ['headers.authorization', 'headers.cookie', 'req.headers.authorization', 'req.headers.cookie', 'token', 'access_token', 'id_token'];

function workloadOf(config: SidecarConfig): Workload {
  return {
    ...(config.podNamespace ? { namespace: config.podNamespace } : {}),
    ...(config.podLabels !== undefined ? { labels: parseLabels(config.podLabels) } : {}),
  };
}

async function run(config: SidecarConfig): Promise<void> {
  // pino's default destination (stdout, asynchronous, flushed at exit), named so decision lines can be written to it directly.
  const destination = pino.destination({ dest: 1 });
  const base = { component: 'stepup-sidecar' };
  const log = pino({ level: config.logLevel, base, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
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
  const apply = (set: PolicySet, how: string) => {
    runtime = buildRuntime(set, jwks, verifierOpts, nowMs, listBase);
    metrics.policyReloads.inc({ result: 'ok' });
    log.info({ policies: set.policies.map((p) => `${p.id}@${p.version}`), version: set.version }, `policies ${how}`);
  };
  const rejected = () => metrics.policyReloads.inc({ result: 'rejected' });
  if (config.policies) {
    apply(loadPolicySet(config.policies, workload), 'loaded');
    watchPolicies(config.policies, workload, log, (set) => apply(set, 'reloaded'), rejected);
  } else {
    // Loaded only in controller mode: the distribution client and its protos cost resident memory.
    const { startControllerMode } = await import('./policy/controller-mode.js');
    startControllerMode(config, packageVersion(), log, { onSet: (set, from) => apply(set, from === 'disk' ? 'loaded from the state directory' : 'received from the controller'), onReject: rejected });
  }

  const check = createCheckHandler({
    runtime: () => runtime,
    signals: signals.source,
    log,
    writeDecision: decisionWriter(log, destination, base),
    metrics,
    nowMs,
    options: { deadlineMs: config.deadlineMs, realm: config.realm, browserRedirect: config.browserRedirect },
  });
  const { server, port } = await startGrpcServer(config.listen, check, log);
  // Ready while a policy set is in force; a degraded signal store shows in the detail (docs/signals.md).
  const http = await startHttpServer(config.httpListen, { ready: () => runtime !== undefined, detail: () => (runtime ? `policies ${runtime.set.version}; signals ${signals.store.status().detail}` : 'no policy snapshot yet: failing closed') }, metrics.registry);
  log.info({ listen: config.listen, port, http: config.httpListen }, 'stepup-sidecar serving');

  const stop = (signal: string) => {
    log.info({ signal }, 'stopping');
    http.close();
    server.tryShutdown(() => void signals.close().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

await runCli({ name: 'stepup-sidecar', parse: () => parseConfig(process.argv.slice(2), process.env), help: helpText, run });
