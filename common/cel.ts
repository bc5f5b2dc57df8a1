// The CEL environment for rule conditions (`when`). Variables and their types
// are declared once here, so a typo such as `signals.ip.flaged` is refused
// when a policy is loaded, not discovered on a request.
import { Environment } from '@marcbachmann/cel-js';

/** The shape of `signals` as CEL sees it (see sidecar/signals/signals.ts). */
const SIGNALS_SCHEMA = {
  ip: { flagged: 'bool', lists: 'list<string>' },
  geo: { country: 'string' },
  device: { id: 'string', known: 'bool', trusted: 'bool' },
  activity: { rate: 'int', newCountry: 'bool' },
  travel: { impossible: 'bool' },
  risk: { score: 'int' },
  riskSince: 'int',
} as const;

const LIMITS = { maxAstNodes: 2000, maxDepth: 50, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 16 };

const whenEnv = new Environment({ unlistedVariablesAreDyn: false, limits: LIMITS })
  .registerVariable('request', 'map')
  .registerVariable('identity', 'dyn')
  .registerVariable('route', 'map<string, string>')
  .registerVariable({ name: 'signals', schema: SIGNALS_SCHEMA });

/** The variables one evaluation of `when` sees. */
export interface WhenContext {
  request: Record<string, unknown>;
  identity: Record<string, unknown> | null;
  route: Record<string, string>;
  signals: unknown;
}

export type WhenProgram = (ctx: WhenContext) => boolean;

/**
 * Compiles a `when` expression. Throws an Error whose message says what is
 * wrong when the expression does not parse, does not type-check, or is not
 * boolean.
 */
export function compileWhen(expression: string): WhenProgram {
  const checked = whenEnv.check(expression);
  if (!checked.valid) throw new Error(firstLine(checked.error?.message ?? 'invalid expression'));
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    throw new Error(`the expression gives ${checked.type}, a condition must give bool`);
  }
  const program = whenEnv.parse(expression);
  return (ctx) => {
    const value = program(ctx as unknown as Record<string, unknown>);
    if (typeof value !== 'boolean') throw new Error(`condition gave ${typeof value}, not bool`);
    return value;
  };
}

const validationEnv = new Environment({ unlistedVariablesAreDyn: false, limits: LIMITS }).registerVariable('self', 'dyn');

/** Compiles an `x-kubernetes-validations` rule, evaluated with `self`. */
export function compileValidationRule(rule: string): (self: unknown) => unknown {
  const program = validationEnv.parse(rule);
  return (self) => program({ self });
}

export function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
