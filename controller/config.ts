// The controller's configuration: flags, then environment variables, then
// defaults. Parsed and checked once at start, then frozen. No other module of
// the controller reads process.env.
import { hostname } from 'node:os';
import { ConfigError, flagHelpRows, readFlags, type FlagSpec as GenericFlagSpec } from '../common/flags.js';

export interface ControllerConfig {
  readonly listen: string;
  readonly httpListen: string;
  readonly kubeconfig?: string;
  readonly namespace: string;
  readonly watchNamespace?: string;
  readonly replicaId: string;
  readonly leaderElection: boolean;
  readonly leaseName: string;
  readonly leaseDurationSeconds: number;
  readonly retryPeriodMs: number;
  readonly signingKeyFile?: string;
  readonly signingKeySecret?: string;
  readonly tokenAudience: string;
  readonly statusIntervalMs: number;
  readonly reportIntervalSeconds: number;
  readonly reportStaleSeconds: number;
  readonly watchBackoffMaxMs: number;
  readonly insecure: boolean;
  readonly webhookListen?: string;
  readonly webhookCertDir: string;
  readonly injectorConfig: string;
  readonly logLevel: string;
}

type FlagSpec = GenericFlagSpec<keyof ControllerConfig & string>;

export const FLAGS: Record<string, FlagSpec> = {
  'distribution-listen': { key: 'listen', env: 'STEPUP_DISTRIBUTION_LISTEN', kind: 'address', default: '0.0.0.0:9090', help: 'host:port of the policy distribution gRPC server (sidecars connect here).' },
  'http-listen': { key: 'httpListen', env: 'STEPUP_HTTP_LISTEN', kind: 'address', default: '0.0.0.0:9091', help: 'host:port serving /healthz, /readyz and /metrics.' },
  kubeconfig: { key: 'kubeconfig', env: 'KUBECONFIG', kind: 'string', help: 'kubeconfig file. Default: the in-cluster service account when running in a pod, else ~/.kube/config.' },
  namespace: { key: 'namespace', env: 'STEPUP_NAMESPACE', kind: 'string', default: 'stepup-system', help: "The controller's own namespace: its Lease and sync reports live here." },
  'watch-namespace': { key: 'watchNamespace', env: 'STEPUP_WATCH_NAMESPACE', kind: 'string', help: 'Watch StepUpPolicies and ConfigMaps of this namespace only (default: every namespace).' },
  'replica-id': { key: 'replicaId', env: 'STEPUP_REPLICA_ID', kind: 'string', help: 'This replica\'s name in the Lease and its sync report (default: the host name, i.e. the pod name).' },
  'leader-elect': { key: 'leaderElection', env: 'STEPUP_LEADER_ELECT', kind: 'bool', default: 'true', help: 'Elect one replica (coordination.k8s.io Lease) to write status; false makes this replica always write it.' },
  'lease-name': { key: 'leaseName', env: 'STEPUP_LEASE_NAME', kind: 'string', default: 'stepup-controller', help: 'Name of the leader election Lease.' },
  'lease-duration': { key: 'leaseDurationSeconds', env: 'STEPUP_LEASE_DURATION', kind: 'int', default: '15', min: 2, max: 600, help: 'Seconds a leader holds the Lease without renewing; a dead leader is replaced after this.' },
  'retry-period-ms': { key: 'retryPeriodMs', env: 'STEPUP_RETRY_PERIOD_MS', kind: 'int', default: '2000', min: 100, max: 60_000, help: 'How often the Lease is renewed or tried.' },
  'signing-key-file': { key: 'signingKeyFile', env: 'STEPUP_SIGNING_KEY_FILE', kind: 'string', help: 'PEM file (PKCS#8) with the Ed25519 key that signs snapshots.' },
  'signing-key-secret': { key: 'signingKeySecret', env: 'STEPUP_SIGNING_KEY_SECRET', kind: 'string', help: 'namespace/name of a Secret whose key "ed25519.pem" holds the signing key (instead of --signing-key-file).' },
  'token-audience': { key: 'tokenAudience', env: 'STEPUP_TOKEN_AUDIENCE', kind: 'string', default: 'stepup-controller', help: "Audience the sidecars' projected service-account tokens must carry (checked with a TokenReview)." },
  'status-interval-ms': { key: 'statusIntervalMs', env: 'STEPUP_STATUS_INTERVAL_MS', kind: 'int', default: '500', min: 10, max: 60_000, help: 'Status changes are gathered for this long, then written together.' },
  'report-interval': { key: 'reportIntervalSeconds', env: 'STEPUP_REPORT_INTERVAL', kind: 'int', default: '10', min: 1, max: 600, help: 'Seconds between refreshes of this replica\'s sync report (a ConfigMap the leader reads to count every replica\'s sidecars).' },
  'report-stale': { key: 'reportStaleSeconds', env: 'STEPUP_REPORT_STALE', kind: 'int', default: '30', min: 2, max: 3600, help: 'A sync report older than this many seconds (a dead replica\'s) is ignored.' },
  'watch-backoff-max-ms': { key: 'watchBackoffMaxMs', env: 'STEPUP_WATCH_BACKOFF_MAX_MS', kind: 'int', default: '30000', min: 100, max: 600_000, help: 'Longest wait before a failed watch is started again (the wait doubles from 200 ms).' },
  'webhook-listen': { key: 'webhookListen', env: 'STEPUP_WEBHOOK_LISTEN', kind: 'address', help: 'host:port of the sidecar injection webhook (HTTPS, path /inject). Unset: no webhook.' },
  'webhook-cert-dir': { key: 'webhookCertDir', env: 'STEPUP_WEBHOOK_CERT_DIR', kind: 'string', default: '/etc/stepup/webhook-tls', help: "Folder with the webhook's tls.crt and tls.key (reloaded when they change)." },
  'injector-config': { key: 'injectorConfig', env: 'STEPUP_INJECTOR_CONFIG', kind: 'string', default: '/etc/stepup/injector', help: "Folder with the injection settings (settings.json, envoy.yaml: the chart's injector ConfigMap)." },
  'log-level': { key: 'logLevel', env: 'STEPUP_LOG_LEVEL', kind: 'string', default: 'info', help: 'pino log level: fatal, error, warn, info, debug, trace, silent.' },
};

export { ConfigError };

export function helpText(): string {
  const rows = flagHelpRows(FLAGS);
  return [
    'stepup-controller: watches StepUpPolicy resources, compiles them and pushes signed snapshots to the stepup sidecars.',
    '',
    'Usage: stepup-controller --signing-key-file <pem> [flags]',
    '',
    'Flags (each can also be set by its environment variable; a flag wins):',
    ...rows,
    '  --insecure',
    '      Development only: accept sidecars without an identity proof (their claimed labels are trusted) and send unsigned snapshots when no key is given. Logs a warning.',
    '      env: STEPUP_INSECURE=true',
    '  --help       Print this help and exit.',
    '  --version    Print the version and exit.',
  ].join('\n');
}

function checkConfig(config: Record<string, unknown>): void {
  const listens = [config.listen, config.httpListen, config.webhookListen].filter(Boolean);
  if (new Set(listens).size !== listens.length) throw new ConfigError('--distribution-listen, --http-listen and --webhook-listen must differ');
  if (config.signingKeyFile && config.signingKeySecret) throw new ConfigError('--signing-key-file and --signing-key-secret are mutually exclusive');
  if (!config.signingKeyFile && !config.signingKeySecret && !config.insecure) {
    throw new ConfigError('a signing key is required: --signing-key-file or --signing-key-secret (or --insecure, development only)');
  }
  if (config.signingKeySecret && !/^[a-z0-9.-]+\/[a-z0-9.-]+$/.test(config.signingKeySecret as string)) {
    throw new ConfigError('--signing-key-secret must be namespace/name');
  }
  if ((config.reportStaleSeconds as number) <= (config.reportIntervalSeconds as number)) {
    throw new ConfigError('--report-stale must be longer than --report-interval');
  }
  if ((config.retryPeriodMs as number) >= (config.leaseDurationSeconds as number) * 1000) {
    throw new ConfigError('--retry-period-ms must be shorter than --lease-duration');
  }
}

export type ParsedArgs = { help: true } | { version: true } | { config: ControllerConfig };

/** Parses argv and env into a frozen config. Throws ConfigError with a message that says what to fix. */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedArgs {
  const read = readFlags(FLAGS, argv, env);
  if ('help' in read || 'version' in read) return read;
  const config = read.values;
  config.replicaId ??= hostname();
  checkConfig(config);
  return { config: Object.freeze(config) as unknown as ControllerConfig };
}
