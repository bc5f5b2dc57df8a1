// Command-line flags with environment-variable fallbacks, shared by the
// sidecar's and the controller's config modules (each keeps its own flag
// table and cross-checks). A flag wins over its variable, which wins over the
// default; an empty value counts as unset.
import { parseArgs } from 'node:util';

export interface FlagSpec<K extends string = string> {
  key: K;
  env: string;
  kind: 'string' | 'int' | 'bool' | 'address' | 'addresses';
  default?: string;
  help: string;
  min?: number;
  max?: number;
}

/** A configuration mistake; its message says what to fix. */
export class ConfigError extends Error {}

export const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const ADDRESS = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/** The --help lines of a flag table. */
export function flagHelpRows(flags: Record<string, FlagSpec>): string[] {
  return Object.entries(flags).map(([flag, spec]) => {
    const def = spec.default !== undefined ? ` (default ${spec.default})` : '';
    return `  --${flag} <value>\n      ${spec.help}${def}\n      env: ${spec.env}`;
  });
}

function convert(flag: string, spec: FlagSpec, raw: string): string | number | boolean | string[] {
  const where = `--${flag} (${spec.env})`;
  if (spec.kind === 'int') {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < (spec.min ?? 0) || n > (spec.max ?? Number.MAX_SAFE_INTEGER)) {
      throw new ConfigError(`${where} must be a whole number from ${spec.min ?? 0} to ${spec.max}, got "${raw}"`);
    }
    return n;
  }
  if (spec.kind === 'bool') {
    if (raw !== 'true' && raw !== 'false') throw new ConfigError(`${where} must be true or false, got "${raw}"`);
    return raw === 'true';
  }
  if (spec.kind === 'address' && !ADDRESS.test(raw)) throw new ConfigError(`${where} must be host:port, got "${raw}"`);
  if (spec.kind === 'addresses') {
    const list = raw.split(',').map((a) => a.trim()).filter(Boolean);
    if (list.length === 0 || !list.every((a) => ADDRESS.test(a))) throw new ConfigError(`${where} must be host:port[,host:port...], got "${raw}"`);
    return list;
  }
  return raw;
}

const nonEmpty = (v: string | boolean | undefined) => (typeof v === 'string' && v !== '' ? v : undefined);

export type FlagValues = { help: true } | { version: true } | { values: Record<string, unknown> };

/**
 * Reads every flag of the table (plus --insecure / STEPUP_INSECURE, --help,
 * --version) into `{ [spec.key]: value }`. Unknown flags and bad values throw
 * ConfigError.
 */
export function readFlags(flags: Record<string, FlagSpec>, argv: readonly string[], env: Readonly<Record<string, string | undefined>>): FlagValues {
  const options = Object.fromEntries(Object.keys(flags).map((f) => [f, { type: 'string' as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { ...options, insecure: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (values.help) return { help: true };
  if (values.version) return { version: true };
  const out: Record<string, unknown> = {};
  for (const [flag, spec] of Object.entries(flags)) {
    const raw = nonEmpty(values[flag]) ?? nonEmpty(env[spec.env]) ?? spec.default;
    if (raw !== undefined) out[spec.key] = convert(flag, spec, raw);
  }
  const insecureEnv = env.STEPUP_INSECURE;
  if (insecureEnv !== undefined && insecureEnv !== '' && insecureEnv !== 'true' && insecureEnv !== 'false') throw new ConfigError('STEPUP_INSECURE must be true or false');
  out.insecure = values.insecure === true || insecureEnv === 'true';
  if (typeof out.logLevel === 'string' && !LOG_LEVELS.has(out.logLevel)) throw new ConfigError(`--log-level must be one of ${[...LOG_LEVELS].join(', ')}`);
  return { values: out };
}
