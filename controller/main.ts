#!/usr/bin/env node
// stepup-controller: watches StepUpPolicies (and the ConfigMaps holding their
// IP lists), compiles them, pushes signed
// snapshots to connected sidecars, and (as leader) writes status. Wiring only.
import { pino, type Logger } from 'pino';
import { runCli } from '../common/cli.js';
import type { HelloMessage } from '../common/distribution/protocol.js';
import { helpText, parseConfig, type ControllerConfig } from './config.js';
import { Distributor } from './distribution/distributor.js';
import { startDistributionServer } from './distribution/grpc-server.js';
import type { SidecarIdentity } from './distribution/sidecar-session.js';
import { SnapshotBuilder } from './distribution/snapshot-builder.js';
import { startHttpServer } from './http-server.js';
import { startInjectionWebhook } from './injection-webhook.js';
import { LeaderElector } from './kube/leader-election.js';
import { verifyPodIdentity } from './kube/pod-identity.js';
import { startInformer } from './kube/resilient-informer.js';
import { KubeRest, loadKubeConfig } from './kube/rest.js';
import { createMetrics } from './metrics.js';
import { ConfigMapStore, type ConfigMapObject } from './policy/configmap-refs.js';
import { PolicyStore, type PolicyObject } from './policy/policy-store.js';
import { loadSigningKey } from './signing-key.js';
import { ReportExchange } from './status/report-exchange.js';
import { StatusWriter } from './status/status-writer.js';
import { localReport } from './status/sync-report.js';

function insecureIdentity(hello: HelloMessage): Promise<SidecarIdentity> {
  if (!hello.podNamespace || !hello.podName) return Promise.reject(new Error('Hello needs pod_name and pod_namespace'));
  return Promise.resolve({ podName: hello.podName, namespace: hello.podNamespace, labels: hello.labels ?? {} });
}

function policiesPath(config: ControllerConfig): string {
  const ns = config.watchNamespace;
  return ns ? `/apis/stepup.dev/v1alpha1/namespaces/${encodeURIComponent(ns)}/stepuppolicies` : '/apis/stepup.dev/v1alpha1/stepuppolicies';
}

function configMapsPath(config: ControllerConfig): string {
  const ns = config.watchNamespace;
  return ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/configmaps` : '/api/v1/configmaps';
}

function logVerdict(log: Logger, store: PolicyStore, id: string): void {
  const entry = store.get(id);
  if (!entry) return;
  if (entry.verdict.accepted) log.info({ policy: id, generation: entry.generation, version: entry.inForce?.version }, 'policy accepted');
  else log.warn({ policy: id, generation: entry.generation, reasons: entry.verdict.reasons, kept: entry.inForce?.generation }, 'policy rejected; the previous accepted generation stays in force');
}

async function run(config: ControllerConfig): Promise<void> {
  const log = pino({ level: config.logLevel, base: { component: 'stepup-controller', replica: config.replicaId } });
  if (config.insecure) log.warn('INSECURE MODE: sidecars are not authenticated (their claimed labels are trusted). For local development only; never in a cluster.');
  const rest = new KubeRest(loadKubeConfig(config.kubeconfig));
  const key = await loadSigningKey({ file: config.signingKeyFile, secret: config.signingKeySecret }, rest);
  if (!key) log.warn('no signing key: snapshots are sent unsigned (only sidecars running with --insecure accept them)');
  const metrics = createMetrics();
  const configMaps = new ConfigMapStore();
  const store = new PolicyStore(configMaps.lookup);
  let publishTimer: NodeJS.Timeout | undefined;
  let exchange: ReportExchange | undefined;
  let writer: StatusWriter | undefined;
  const distributor = new Distributor(new SnapshotBuilder(store, key), () => {
    metrics.sidecars.set(distributor.size);
    writer?.poke();
    publishTimer ??= setTimeout(() => {
      publishTimer = undefined;
      void exchange?.publish();
    }, config.statusIntervalMs);
  });
  const countVerdicts = () => {
    const all = [...store.all()];
    metrics.policies.set({ verdict: 'accepted' }, all.filter((e) => e.verdict.accepted).length);
    metrics.policies.set({ verdict: 'rejected' }, all.filter((e) => !e.verdict.accepted).length);
  };
  const onPolicy = (changed: boolean, id: string) => {
    if (changed) {
      logVerdict(log, store, id);
      countVerdicts();
      distributor.policiesChanged();
    }
    writer?.poke();
  };
  let synced = false;
  const http = await startHttpServer(config.httpListen, () => synced, metrics.registry);
  // The webhook does not wait for the policies: pod creation must not stall on them.
  const webhook = config.webhookListen ? await startInjectionWebhook({ listen: config.webhookListen, certDir: config.webhookCertDir, injectorConfig: config.injectorConfig, key, log }) : undefined;
  if (webhook) log.info({ listen: config.webhookListen, port: webhook.port }, 'injection webhook serving');
  // A ConfigMap that policies reference (IP lists) changed: re-evaluate them.
  const onConfigMap = (id: string | undefined) => {
    if (id === undefined) return;
    const changed = store.configMapChanged(id);
    if (changed.length === 0) return;
    log.info({ configmap: id, policies: changed }, 'referenced ConfigMap changed');
    for (const policy of changed) logVerdict(log, store, policy);
    countVerdicts();
    distributor.policiesChanged();
    writer?.poke();
  };
  const cmInformer = startInformer<ConfigMapObject>(
    rest,
    configMapsPath(config),
    { upsert: (o) => onConfigMap(configMaps.upsert(o)), remove: (o) => onConfigMap(configMaps.remove(o)) },
    { name: 'configmaps', backoffMaxMs: config.watchBackoffMaxMs, log, onRestart: () => metrics.watchRestarts.inc({ informer: 'configmaps' }) },
  );
  // ConfigMaps are listed first, so policies that reference them are not
  // rejected for a moment at start.
  log.info({ path: configMapsPath(config) }, 'listing ConfigMaps');
  await cmInformer.synced;
  const idOf = (o: PolicyObject) => `${o.metadata.namespace ?? 'default'}/${o.metadata.name ?? ''}`;
  const informer = startInformer<PolicyObject>(
    rest,
    policiesPath(config),
    { upsert: (o) => onPolicy(store.upsert(o), idOf(o)), remove: (o) => onPolicy(store.remove(o), idOf(o)) },
    { name: 'stepuppolicies', backoffMaxMs: config.watchBackoffMaxMs, log, onRestart: () => metrics.watchRestarts.inc({ informer: 'stepuppolicies' }) },
  );
  log.info({ path: policiesPath(config) }, 'listing StepUpPolicies');
  await informer.synced;
  synced = true;
  log.info({ policies: [...store.all()].length }, 'StepUpPolicies listed');

  exchange = new ReportExchange(rest, () => localReport(store, distributor.list()), {
    namespace: config.namespace,
    replicaId: config.replicaId,
    intervalMs: config.reportIntervalSeconds * 1000,
    staleMs: config.reportStaleSeconds * 1000,
    backoffMaxMs: config.watchBackoffMaxMs,
    log,
    onRemoteChange: () => writer?.poke(),
  });
  const statusWriter = new StatusWriter({ rest, store, reports: () => exchange?.reports() ?? [], log, intervalMs: config.statusIntervalMs, refreshMs: config.reportIntervalSeconds * 1000, replicaId: config.replicaId });
  writer = statusWriter;
  exchange.start();
  const lead = (leading: boolean) => {
    metrics.leader.set(leading ? 1 : 0);
    statusWriter.setActive(leading);
  };
  const elector = config.leaderElection
    ? new LeaderElector(rest, { namespace: config.namespace, name: config.leaseName, identity: config.replicaId, leaseDurationMs: config.leaseDurationSeconds * 1000, retryPeriodMs: config.retryPeriodMs, log, onChange: lead })
    : undefined;
  if (elector) elector.start();
  else lead(true);

  const authenticate = config.insecure ? insecureIdentity : (hello: HelloMessage) => verifyPodIdentity(rest, hello, config.tokenAudience);
  const { server, port } = await startDistributionServer(config.listen, { distributor, authenticate, log, helloTimeoutMs: 10_000, onEvent: (event) => metrics.streamEvents.inc({ event }) });
  log.info({ listen: config.listen, port, http: config.httpListen, key_id: key?.keyId }, 'stepup-controller serving sidecars');

  const stop = async (signal: string) => {
    log.info({ signal }, 'stopping');
    setTimeout(() => process.exit(0), 3000).unref();
    statusWriter.setActive(false);
    await elector?.stop();
    await exchange?.stop();
    await informer.stop();
    await cmInformer.stop();
    http.close();
    await webhook?.close();
    server.forceShutdown();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

await runCli({ name: 'stepup-controller', parse: () => parseConfig(process.argv.slice(2), process.env), help: helpText, run });
