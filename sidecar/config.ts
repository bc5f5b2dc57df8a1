// The sidecar's configuration: flags, then STEPUP_* environment variables,
// then defaults. Parsed and checked once at start, then frozen. No other
// module reads process.env.
import { ConfigError, flagHelpRows, readFlags, type FlagSpec as GenericFlagSpec } from '../common/flags.js';
import { parseRiskWeights } from './signals/risk-score.js';

export interface SidecarConfig {
  /** Standalone mode: a policy file or folder. Exactly one of policies and controller is set. */
  readonly policies?: string;
  /** Controller mode: host:port addresses of the controller, tried in turn. */
  readonly controller?: readonly string[];
  readonly podName?: string;
  readonly stateDir?: string;
  readonly identityTokenFile: string;
  readonly controllerPublicKey?: string;
  readonly reconnectMaxMs: number;
  /** Development only: no identity proof sent, snapshot signatures not checked. */
  readonly insecure: boolean;
  readonly listen: string;
  readonly httpListen: string;
  /** Processes serving Checks: 1 (this process), or n > 1 workers under a node:cluster primary. */
  readonly workers: number;
  readonly deadlineMs: number;
  readonly realm: string;
  readonly browserRedirect: boolean;
  readonly clockSkewSeconds: number;
  readonly tokenCacheSize: number;
  readonly tokenCacheTtlSeconds: number;
  readonly jwksMaxAgeSeconds: number;
  readonly jwksStaleMaxAgeSeconds: number;
  readonly jwksCooldownSeconds: number;
  readonly jwksTimeoutMs: number;
  readonly jwksRetries: number;
  readonly podNamespace?: string;
  readonly podLabels?: string;
  readonly logLevel: string;
  readonly trustedHops: number;
  readonly geoipDb?: string;
  readonly geoHeader?: string;
  readonly redisUrl?: string;
  readonly redisSentinels?: string;
  readonly redisSentinelName: string;
  readonly redisCluster?: string;
  readonly redisPassword?: string;
  readonly redisTls: boolean;
  readonly redisTimeoutMs: number;
  readonly redisSocketTimeoutMs: number;
  readonly redisKeyPrefix: string;
  readonly signalMaxPendingWrites: number;
  readonly memoryStoreMaxSubjects: number;
  readonly rateWindowSeconds: number;
  readonly rateThreshold: number;
  readonly riskWeights: string;
  readonly riskEventScore: number;
  readonly travelSpeedKmh: number;
  readonly travelMinKm: number;
}

type FlagSpec = GenericFlagSpec<keyof SidecarConfig & string>;

export const FLAGS: Record<string, FlagSpec> = {
  policies: { key: 'policies', env: 'STEPUP_POLICIES', kind: 'string', help: 'StepUpPolicy YAML file or folder (standalone mode). Exactly one of --policies and --controller.' },
  controller: { key: 'controller', env: 'STEPUP_CONTROLLER', kind: 'addresses', help: 'Controller mode: host:port of the stepup controller (several, comma-separated, are tried in turn). Needs --pod-name, --pod-namespace and --state-dir.' },
  'pod-name': { key: 'podName', env: 'STEPUP_POD_NAME', kind: 'string', help: "This pod's name (controller mode)." },
  'state-dir': { key: 'stateDir', env: 'STEPUP_STATE_DIR', kind: 'string', help: 'Folder where the last good snapshot is kept, to start from after a restart (controller mode).' },
  'identity-token-file': { key: 'identityTokenFile', env: 'STEPUP_IDENTITY_TOKEN_FILE', kind: 'string', default: '/var/run/secrets/stepup.dev/token', help: "Projected service-account token (audience: the controller's) sent to prove this pod's identity; reread on every connect." },
  'controller-public-key': { key: 'controllerPublicKey', env: 'STEPUP_CONTROLLER_PUBLIC_KEY', kind: 'string', help: "PEM file with the controller's Ed25519 public key(s); snapshots signed by any other key are refused (controller mode, required unless --insecure)." },
  'reconnect-max-ms': { key: 'reconnectMaxMs', env: 'STEPUP_RECONNECT_MAX_MS', kind: 'int', default: '10000', min: 100, max: 300_000, help: 'Longest wait between attempts to reach the controller (the wait doubles from 100 ms up to this).' },
  listen: { key: 'listen', env: 'STEPUP_LISTEN', kind: 'address', default: '127.0.0.1:9191', help: 'host:port of the ext_authz gRPC server (envoy.service.auth.v3.Authorization).' },
  'http-listen': { key: 'httpListen', env: 'STEPUP_HTTP_LISTEN', kind: 'address', default: '127.0.0.1:9192', help: 'host:port serving /healthz, /readyz and /metrics.' },
  workers: { key: 'workers', env: 'STEPUP_WORKERS', kind: 'int', default: '1', min: 1, max: 64, help: 'Processes answering Checks on --listen (node:cluster: connections are spread over them; /healthz, /readyz and /metrics, aggregated, stay in the primary). In controller mode the primary holds the one stream and relays each snapshot to every worker. More than 1 needs --redis (or Sentinel/Cluster) for policies that keep state (device, activity, travel, risk, afterRisk, singleUse).' },
  'deadline-ms': { key: 'deadlineMs', env: 'STEPUP_DEADLINE_MS', kind: 'int', default: '150', min: 5, max: 10_000, help: "Answer every Check within this many ms, failing closed (503) past it. Keep it below Envoy's ext_authz timeout (200 ms in deploy/envoy)." },
  realm: { key: 'realm', env: 'STEPUP_REALM', kind: 'string', default: 'stepup', help: 'realm of the WWW-Authenticate Bearer challenges.' },
  'browser-redirect': { key: 'browserRedirect', env: 'STEPUP_BROWSER_REDIRECT', kind: 'bool', default: 'true', help: 'Redirect browsers (Accept: text/html) to the IdP with acr_values and max_age when the policy names an authorizationEndpoint (true|false).' },
  'clock-skew': { key: 'clockSkewSeconds', env: 'STEPUP_CLOCK_SKEW', kind: 'int', default: '30', min: 0, max: 300, help: 'Seconds of clock skew tolerated for exp, nbf and auth_time.' },
  'token-cache-size': { key: 'tokenCacheSize', env: 'STEPUP_TOKEN_CACHE_SIZE', kind: 'int', default: '10000', min: 0, max: 1_000_000, help: 'Verified tokens kept (0 disables the cache).' },
  'token-cache-ttl': { key: 'tokenCacheTtlSeconds', env: 'STEPUP_TOKEN_CACHE_TTL', kind: 'int', default: '300', min: 1, max: 3600, help: 'Seconds a verified token is reused (never past its exp).' },
  'jwks-max-age': { key: 'jwksMaxAgeSeconds', env: 'STEPUP_JWKS_MAX_AGE', kind: 'int', default: '600', min: 1, max: 86_400, help: 'Seconds signing keys are used before they are refetched.' },
  'jwks-stale-max-age': { key: 'jwksStaleMaxAgeSeconds', env: 'STEPUP_JWKS_STALE_MAX_AGE', kind: 'int', default: '3600', min: 1, max: 86_400, help: 'When refetching fails, keys up to this age are still used; past it tokens are refused (503).' },
  'jwks-cooldown': { key: 'jwksCooldownSeconds', env: 'STEPUP_JWKS_COOLDOWN', kind: 'int', default: '30', min: 0, max: 3600, help: 'Minimum seconds between refetches caused by unknown key ids.' },
  'jwks-timeout-ms': { key: 'jwksTimeoutMs', env: 'STEPUP_JWKS_TIMEOUT_MS', kind: 'int', default: '2000', min: 50, max: 60_000, help: 'Time limit of one JWKS fetch.' },
  'jwks-retries': { key: 'jwksRetries', env: 'STEPUP_JWKS_RETRIES', kind: 'int', default: '2', min: 0, max: 5, help: 'Extra JWKS fetch attempts after a failure (100 ms, then 400 ms apart).' },
  'pod-namespace': { key: 'podNamespace', env: 'STEPUP_POD_NAMESPACE', kind: 'string', help: "Only policies of this namespace apply (default: every policy's namespace). Required in controller mode." },
  'pod-labels': { key: 'podLabels', env: 'STEPUP_POD_LABELS', kind: 'string', help: "This workload's labels, k=v,k2=v2: only policies whose selector matches apply (default: selectors are not applied). In controller mode they are only trusted with --insecure; otherwise the controller reads the pod's labels." },
  'log-level': { key: 'logLevel', env: 'STEPUP_LOG_LEVEL', kind: 'string', default: 'info', help: 'pino log level: fatal, error, warn, info, debug, trace, silent.' },
  // Risk signals (docs/signals.md)
  'trusted-hops': { key: 'trustedHops', env: 'STEPUP_TRUSTED_HOPS', kind: 'int', default: '0', min: 0, max: 10, help: "Proxies in front of Envoy that append to x-forwarded-for; the client address is that many entries from the right (0: Envoy's source address)." },
  'geoip-db': { key: 'geoipDb', env: 'STEPUP_GEOIP_DB', kind: 'string', help: 'MaxMind-format (.mmdb) database for signals.geo.country and impossible travel.' },
  'geo-header': { key: 'geoHeader', env: 'STEPUP_GEO_HEADER', kind: 'string', help: 'Header with the client country (ISO code) set by a trusted edge, e.g. cf-ipcountry; wins over the database.' },
  redis: { key: 'redisUrl', env: 'STEPUP_REDIS', kind: 'string', help: 'Keep signals in Redis, shared by every replica: redis://[:password@]host:port[/db] or rediss:// (default: in memory).' },
  'redis-sentinels': { key: 'redisSentinels', env: 'STEPUP_REDIS_SENTINELS', kind: 'string', help: 'Redis through Sentinel: host:port,host:port of the Sentinels.' },
  'redis-sentinel-name': { key: 'redisSentinelName', env: 'STEPUP_REDIS_SENTINEL_NAME', kind: 'string', default: 'mymaster', help: 'The Sentinel master group name.' },
  'redis-cluster': { key: 'redisCluster', env: 'STEPUP_REDIS_CLUSTER', kind: 'string', help: 'Redis Cluster: host:port,host:port of seed nodes.' },
  'redis-password': { key: 'redisPassword', env: 'STEPUP_REDIS_PASSWORD', kind: 'string', help: 'Password for Sentinel or Cluster mode (prefer the environment variable).' },
  'redis-tls': { key: 'redisTls', env: 'STEPUP_REDIS_TLS', kind: 'bool', default: 'false', help: 'TLS for Sentinel or Cluster mode (a rediss:// URL implies it).' },
  'redis-timeout-ms': { key: 'redisTimeoutMs', env: 'STEPUP_REDIS_TIMEOUT_MS', kind: 'int', default: '50', min: 5, max: 5000, help: 'Limit of one signal read or write; must be below --deadline-ms. Past it the signals are unavailable and rules reading them fail closed.' },
  'redis-socket-timeout-ms': { key: 'redisSocketTimeoutMs', env: 'STEPUP_REDIS_SOCKET_TIMEOUT_MS', kind: 'int', default: '1000', min: 100, max: 60_000, help: 'A Redis connection that sends nothing this long while commands wait (a hung server) is dropped and reconnected.' },
  'redis-key-prefix': { key: 'redisKeyPrefix', env: 'STEPUP_REDIS_KEY_PREFIX', kind: 'string', default: 'stepup:', help: 'Prefix of every Redis key.' },
  'signal-max-pending-writes': { key: 'signalMaxPendingWrites', env: 'STEPUP_SIGNAL_MAX_PENDING_WRITES', kind: 'int', default: '1000', min: 1, max: 100_000, help: 'Signal writes in flight at most; more are dropped and counted, never queued.' },
  'memory-store-max-subjects': { key: 'memoryStoreMaxSubjects', env: 'STEPUP_MEMORY_STORE_MAX_SUBJECTS', kind: 'int', default: '100000', min: 1, max: 10_000_000, help: 'In-memory store: subjects kept (least recently used go first), and single-use token ids kept.' },
  'rate-window': { key: 'rateWindowSeconds', env: 'STEPUP_RATE_WINDOW', kind: 'int', default: '60', min: 1, max: 86_400, help: 'Seconds of the sliding window of signals.activity.rate.' },
  'rate-threshold': { key: 'rateThreshold', env: 'STEPUP_RATE_THRESHOLD', kind: 'int', default: '100', min: 1, max: 1_000_000, help: 'signals.activity.rate above this is a high rate (a fact of the risk score).' },
  'risk-weights': { key: 'riskWeights', env: 'STEPUP_RISK_WEIGHTS', kind: 'string', default: '', help: 'Risk score weights, e.g. ipFlagged=40,impossibleTravel=50,newCountry=20,unknownDevice=15,highRate=25 (the defaults).' },
  'risk-event-score': { key: 'riskEventScore', env: 'STEPUP_RISK_EVENT_SCORE', kind: 'int', default: '40', min: 1, max: 100, help: 'A request scoring at least this, with a cause new for the subject, is a risk event (sets signals.riskSince).' },
  'travel-speed-kmh': { key: 'travelSpeedKmh', env: 'STEPUP_TRAVEL_SPEED_KMH', kind: 'int', default: '1000', min: 1, max: 100_000, help: 'Moving faster than this between two places is impossible travel.' },
  'travel-min-km': { key: 'travelMinKm', env: 'STEPUP_TRAVEL_MIN_KM', kind: 'int', default: '300', min: 0, max: 20_000, help: 'Moves shorter than this never count as impossible travel (geo databases are imprecise).' },
};

export { ConfigError };

export function helpText(): string {
  const rows = flagHelpRows(FLAGS);
  return [
    'stepup-sidecar: the step-up authentication decision service for Envoy ext_authz.',
    '',
    'Usage: stepup-sidecar --policies <file-or-folder> [flags]',
    '       stepup-sidecar --controller <host:port> --pod-name <name> --pod-namespace <ns> --state-dir <dir> --controller-public-key <pem> [flags]',
    '',
    'Flags (each can also be set by its environment variable; a flag wins):',
    ...rows,
    '  --insecure',
    '      Development only: send no identity proof and accept unsigned snapshots from the controller. Logs a warning.',
    '      env: STEPUP_INSECURE=true',
    '  --help       Print this help and exit.',
    '  --version    Print the version and exit.',
    '',
    'Example:',
    '  stepup-sidecar --policies deploy/examples/payments.yaml --listen 127.0.0.1:9191',
  ].join('\n');
}

function checkMode(config: Record<string, unknown>): void {
  if (config.policies && config.controller) {
    throw new ConfigError('--policies and --controller are mutually exclusive: use --policies for standalone mode (policy files) or --controller for cluster mode (policies pushed by the controller), not both');
  }
  if (!config.policies && !config.controller) throw new ConfigError('--policies (STEPUP_POLICIES) or --controller (STEPUP_CONTROLLER) is required');
  if (!config.controller) {
    if (config.insecure) throw new ConfigError('--insecure only applies with --controller');
    return;
  }
  for (const flag of ['pod-name', 'pod-namespace', 'state-dir'] as const) {
    const spec = FLAGS[flag] as FlagSpec;
    if (!config[spec.key]) throw new ConfigError(`--${flag} (${spec.env}) is required with --controller`);
  }
  if (!config.insecure && !config.controllerPublicKey) {
    throw new ConfigError('--controller-public-key (STEPUP_CONTROLLER_PUBLIC_KEY) is required with --controller, unless --insecure (development only)');
  }
}

function checkSignalOptions(config: Record<string, unknown>): void {
  const modes = ['redisUrl', 'redisSentinels', 'redisCluster'].filter((k) => config[k] !== undefined);
  if (modes.length > 1) throw new ConfigError('give only one of --redis, --redis-sentinels and --redis-cluster');
  if (modes.length === 1 && (config.redisTimeoutMs as number) >= (config.deadlineMs as number)) {
    throw new ConfigError(`--redis-timeout-ms (${config.redisTimeoutMs}) must be below --deadline-ms (${config.deadlineMs}), so a slow store still leaves time to answer`);
  }
  try {
    parseRiskWeights(config.riskWeights as string);
  } catch (err) {
    throw new ConfigError(`--risk-weights (STEPUP_RISK_WEIGHTS): ${(err as Error).message}`);
  }
}

export type ParsedArgs = { help: true } | { version: true } | { config: SidecarConfig };

/** Parses argv and env into a frozen config. Throws ConfigError with a message that says what to fix. */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedArgs {
  const read = readFlags(FLAGS, argv, env);
  if ('help' in read || 'version' in read) return read;
  const config = read.values;
  checkMode(config);
  if (config.listen === config.httpListen) throw new ConfigError('--listen and --http-listen must differ');
  checkSignalOptions(config);
  return { config: Object.freeze(config) as unknown as SidecarConfig };
}
