// The injection settings: what the chart's injector ConfigMap holds
// (settings.json and envoy.yaml), checked once against a schema, then frozen.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { renderEnvoyBootstrap } from './envoy-bootstrap.js';

export interface Resources {
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
}

export interface InjectionSettings {
  /** envoy: inject the sidecar and an Envoy that takes over app ports; istio: the sidecar only, istio-proxy calls it. */
  readonly mode: 'envoy' | 'istio';
  /** The chart's appVersion; recorded on injected pods. */
  readonly version: string;
  /** host:port of the controller's policy distribution service. */
  readonly controllerAddress: string;
  readonly excludedNamespaces: readonly string[];
  /** Container port names taken over by default; a trailing * matches a prefix. */
  readonly portNames: readonly string[];
  readonly routeContext: Readonly<Record<string, string>>;
  readonly authzTimeoutMs: number;
  readonly runAsUser: number;
  readonly stateSizeLimit: string;
  readonly sidecar: {
    readonly image: string;
    readonly imagePullPolicy: string;
    readonly deadlineMs: number;
    readonly logLevel: string;
    readonly insecure: boolean;
    /** Audience of the projected token the sidecar proves its pod identity with (the controller's --token-audience). */
    readonly tokenAudience: string;
    readonly authzPort: number;
    readonly httpPort: number;
    readonly extraArgs: readonly string[];
    readonly resources: Resources;
  };
  readonly envoy: {
    readonly image: string;
    readonly imagePullPolicy: string;
    readonly adminPort: number;
    readonly firstListenerPort: number;
    readonly concurrency: number;
    readonly logLevel: string;
    readonly resources: Resources;
  };
  /**
   * PEM of the Ed25519 public key(s) that sign policy snapshots, given to every
   * injected sidecar. The controller's main derives it from its signing key
   * (settings.json may also carry it). Required unless sidecar.insecure.
   */
  readonly controllerPublicKey?: string;
  /** The Envoy bootstrap every injected Envoy is rendered from (parsed envoy.yaml). */
  readonly bootstrapTemplate: Readonly<Record<string, unknown>>;
}

/** Envoy takes over at most this many ports of one pod. */
export const MAX_TAKEN_PORTS = 8;

const port = { type: 'integer', minimum: 1, maximum: 65535 };
const str = { type: 'string', minLength: 1 };
const resources = { type: 'object' };
const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['mode', 'version', 'controllerAddress', 'excludedNamespaces', 'portNames', 'routeContext', 'authzTimeoutMs', 'runAsUser', 'stateSizeLimit', 'sidecar', 'envoy'],
  properties: {
    mode: { enum: ['envoy', 'istio'] },
    version: str,
    controllerAddress: { type: 'string', pattern: '^[A-Za-z0-9.-]+:[0-9]{1,5}$' },
    excludedNamespaces: { type: 'array', items: str },
    portNames: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9-]+\\*?$' } },
    routeContext: { type: 'object', additionalProperties: { type: 'string' } },
    authzTimeoutMs: { type: 'integer', minimum: 10, maximum: 10000 },
    runAsUser: { type: 'integer', minimum: 1 },
    stateSizeLimit: str,
    controllerPublicKey: { type: 'string', pattern: '-----BEGIN PUBLIC KEY-----' },
    sidecar: {
      type: 'object',
      additionalProperties: false,
      required: ['image', 'imagePullPolicy', 'deadlineMs', 'logLevel', 'insecure', 'tokenAudience', 'authzPort', 'httpPort', 'extraArgs', 'resources'],
      properties: { image: str, imagePullPolicy: str, deadlineMs: { type: 'integer', minimum: 5 }, logLevel: str, insecure: { type: 'boolean' }, tokenAudience: str, authzPort: port, httpPort: port, extraArgs: { type: 'array', items: { type: 'string' } }, resources },
    },
    envoy: {
      type: 'object',
      additionalProperties: false,
      required: ['image', 'imagePullPolicy', 'adminPort', 'firstListenerPort', 'concurrency', 'logLevel', 'resources'],
      properties: { image: str, imagePullPolicy: str, adminPort: port, firstListenerPort: port, concurrency: { type: 'integer', minimum: 1 }, logLevel: str, resources },
    },
  },
};

export class SettingsError extends Error {}

let validate: ReturnType<Ajv['compile']> | undefined;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** The ports the sidecar and Envoy hold in every injected pod. */
export function reservedPorts(s: Pick<InjectionSettings, 'mode' | 'sidecar' | 'envoy'>): number[] {
  const own = [s.sidecar.authzPort, s.sidecar.httpPort];
  if (s.mode === 'istio') return own;
  const listeners = Array.from({ length: MAX_TAKEN_PORTS }, (_, i) => s.envoy.firstListenerPort + i);
  return [...own, s.envoy.adminPort, ...listeners];
}

/** Checks settings.json's content and the bootstrap template; throws SettingsError saying what to fix. */
export function parseInjectionSettings(settings: unknown, bootstrapYaml: string): InjectionSettings {
  validate ??= new Ajv({ allErrors: true, strict: false }).compile(SCHEMA);
  if (!validate(settings)) {
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new SettingsError(`injection settings are invalid: ${errors}`);
  }
  const s = settings as Omit<InjectionSettings, 'bootstrapTemplate'>;
  if (s.sidecar.deadlineMs >= s.authzTimeoutMs) throw new SettingsError(`sidecar.deadlineMs (${s.sidecar.deadlineMs}) must be below authzTimeoutMs (${s.authzTimeoutMs})`);
  const ports = reservedPorts(s);
  if (new Set(ports).size !== ports.length) throw new SettingsError(`the sidecar and Envoy ports overlap: ${ports.join(', ')}`);
  const bootstrapTemplate = parse(bootstrapYaml) as Record<string, unknown> | null;
  if (!bootstrapTemplate || typeof bootstrapTemplate !== 'object') throw new SettingsError('the Envoy bootstrap template is empty');
  try {
    const listeners = [{ name: 'http', port: s.envoy.firstListenerPort, appPort: 8080, http2: false }];
    renderEnvoyBootstrap(bootstrapTemplate, { adminPort: s.envoy.adminPort, authzPort: s.sidecar.authzPort, timeoutMs: s.authzTimeoutMs, listeners, routeContext: {} });
  } catch (err) {
    throw new SettingsError(`the Envoy bootstrap template cannot be used: ${(err as Error).message}`);
  }
  return deepFreeze({ ...structuredClone(s), bootstrapTemplate });
}

/** Reads settings.json and envoy.yaml from the mounted injector ConfigMap. */
export function loadInjectionSettings(dir: string): InjectionSettings {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'));
  } catch (err) {
    throw new SettingsError(`cannot read ${join(dir, 'settings.json')}: ${(err as Error).message}`);
  }
  return parseInjectionSettings(json, readFileSync(join(dir, 'envoy.yaml'), 'utf8'));
}
