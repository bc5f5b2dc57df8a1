// The peer of W1: opa-envoy-plugin (built by scripts/bench.sh from the Go
// module proxy into $STEPUP_CACHE) with bench/opa/policy.rego, the same 20
// rules in Rego. Loopback only, pinned to the server core like the others.
//
// Made as equal as OPA allows: the issuer's JWKS as data (our sidecar fetches
// it once and caches it), verified tokens cached by OPA's inter-query value
// cache for io.jwt (our token cache holds 10,000), and a decision log line on
// stdout for every Check (console decision logs), as the sidecar writes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../common/package-root.js';
import { freePort, httpOk, startProcess, waitFor, writeTemp } from '../harness/processes.js';
import { pinProcess } from './cpu.js';
import { AUDIENCE, BENCH_RULES } from './policy.js';
import { systemOf, type System } from './systems.js';

export const OPA_POLICY = join('bench', 'opa', 'policy.rego');

/** Signals as the sidecar sees them for the bench request: nothing risky. */
const QUIET_SIGNALS = {
  ip: { flagged: false, lists: [] },
  geo: { country: '' },
  device: { id: '', known: false, trusted: false },
  activity: { rate: 0, newCountry: false },
  travel: { impossible: false },
  risk: { score: 0 },
  riskSince: 0,
};

function opaConfig(grpcPort: number): string {
  return [
    'plugins:',
    '  envoy_ext_authz_grpc:',
    `    addr: 127.0.0.1:${grpcPort}`,
    '    path: stepup/authz/result',
    '    enable-reflection: false',
    'decision_logs:',
    '  console: true',
    'caching:',
    '  inter_query_builtin_value_cache:',
    '    named:',
    '      io_jwt:',
    '        max_num_entries: 10000',
    '',
  ].join('\n');
}

export interface OpaSetup {
  binary: string;
  workDir: string;
  issuerUrl: string;
  /** The JWKS document, as the issuer serves it. */
  jwks: string;
  /** Rules in the policy (W5): as rulesOfSize in policy.ts; default the 20 bench rules. */
  rules?: number;
}

/** One generated rule in Rego, the twin of rulesOfSize's generated CEL rule. */
function generatedRule(i: number): string {
  return [
    `fired contains {"rule": "generated-${i}", "action": "StepUp", "level": "mfa", "max_age": 600} if {`,
    '\tmethod == "POST"',
    `\ton(["/v2/generated/${i}/**"])`,
    `\tbody.amount > ${i}`,
    '\troute.environment == "production"',
    '}',
    '',
  ].join('\n');
}

/** bench/opa/policy.rego with `count` rules: the first ones of the 20, or all and generated ones. */
export function regoOfSize(count: number): string {
  const text = readFileSync(join(packageRoot(), OPA_POLICY), 'utf8');
  if (count >= BENCH_RULES.length) {
    const extra = Array.from({ length: count - BENCH_RULES.length }, (_, i) => generatedRule(i)).join('\n');
    return text.replace('# --- the decision', `${extra}\n# --- the decision`);
  }
  const dropped = new Set(BENCH_RULES.slice(count).map((r) => r.name));
  return text.replace(/^fired contains \{"rule": "([\w-]+)"[^\n]*\{\n(?:\t[^\n]*\n)*\}\n/gm, (block, name: string) => (dropped.has(name) ? '' : block));
}

export async function startOpa(setup: OpaSetup, cpu: number): Promise<System> {
  const [grpcPort, httpPort, diagPort] = [await freePort(), await freePort(), await freePort()];
  const config = writeTemp(setup.workDir, 'opa.yaml', opaConfig(grpcPort));
  const data = writeTemp(setup.workDir, 'opa-data.json', JSON.stringify({ stepup: { jwks: setup.jwks, issuer: setup.issuerUrl, audience: AUDIENCE, signals: QUIET_SIGNALS } }));
  const policy = setup.rules === undefined ? join(packageRoot(), OPA_POLICY) : writeTemp(setup.workDir, `policy-${setup.rules}.rego`, regoOfSize(setup.rules));
  const args = ['-c', String(cpu), setup.binary, 'run', '--server', '--addr', `127.0.0.1:${httpPort}`, '--diagnostic-addr', `127.0.0.1:${diagPort}`, '--config-file', config, '--log-level', 'error', policy, data];
  const proc = startProcess('opa-envoy-plugin', 'taskset', args);
  await waitFor('opa-envoy-plugin to be ready', () => httpOk(`http://127.0.0.1:${diagPort}/health?plugins`), 30_000, proc);
  pinProcess(proc.child.pid as number, cpu);
  // Decision logs go to stdout: read and drop them, as for the sidecar.
  proc.child.stdout?.removeAllListeners('data');
  proc.child.stdout?.on('data', () => {});
  return systemOf('opa-envoy-plugin', proc, grpcPort);
}
