// A real kube-apiserver (with etcd), kubectl and helm from scripts/testenv.sh,
// for the chart and webhook tests. No kubelet and no controller-manager:
// pods stay Pending and namespaces get no default ServiceAccount, so tests
// create it themselves.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../common/package-root.js';
import { tempDir } from '../../harness/processes.js';

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

const TESTENV = join(packageRoot(), 'scripts', 'testenv.sh');

function run(cmd: string, args: string[], input?: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000): Run {
  const r = spawnSync(cmd, args, { input, env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')}: ${r.error.message}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Like run, without blocking the event loop (for calls that reach a server in this process, e.g. the webhook). */
function runAsync(cmd: string, args: string[], input: string | undefined, env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

export interface KubeTools {
  kubectl: string;
  helm: string;
}

let tools: KubeTools | undefined;

/** kubectl and helm as provisioned by scripts/testenv.sh; fails saying how to provision them. */
export function kubeTools(): KubeTools {
  if (tools) return tools;
  if (!existsSync(TESTENV)) throw new Error(`${TESTENV} is missing: the chart tests need the real kube-apiserver, kubectl and helm it provisions`);
  const r = run('bash', [TESTENV, 'paths']);
  if (r.status !== 0) throw new Error(`kubectl/helm/kube-apiserver are not provisioned (bash scripts/testenv.sh paths said: ${r.stderr.trim()}). Run: bash scripts/testenv.sh provision`);
  const paths = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
  if (!paths.KUBECTL || !paths.HELM) throw new Error(`bash scripts/testenv.sh paths printed no KUBECTL or HELM:\n${r.stdout}`);
  tools = { kubectl: paths.KUBECTL, helm: paths.HELM };
  return tools;
}

/** Runs helm (no cluster needed for template and lint). */
export function helm(args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  return run(kubeTools().helm, args, undefined, { ...env, HELM_CACHE_HOME: tempHelmHome(), HELM_CONFIG_HOME: tempHelmHome(), HELM_DATA_HOME: tempHelmHome() });
}

let helmHome: string | undefined;
function tempHelmHome(): string {
  helmHome ??= tempDir('helm-home');
  return helmHome;
}

export interface Kube {
  readonly kubeconfig: string;
  readonly dir: string;
  /** kubectl against this cluster; `input` goes to stdin. */
  kubectl(args: string[], input?: string): Run;
  /** kubectl without blocking this process (needed when the API server calls back into it). */
  kubectlAsync(args: string[], input?: string): Promise<Run>;
  /** kubectl that must succeed; returns stdout. */
  must(args: string[], input?: string): string;
  /** helm against this cluster. */
  helm(args: string[]): Run;
  /** A namespace with the default ServiceAccount a controller-manager would have made. */
  namespace(name: string, labels?: Record<string, string>): void;
  stop(): Promise<void>;
}

/** Starts etcd and kube-apiserver on loopback (bash scripts/testenv.sh kube-up). */
export function startKube(): Kube {
  kubeTools();
  const dir = tempDir('kube');
  const up = run('bash', [TESTENV, 'kube-up', dir], undefined, process.env, 300_000);
  const last = up.stdout.trim().split('\n').at(-1) ?? '';
  if (up.status !== 0 || !last.startsWith('KUBECONFIG=')) {
    run('bash', [TESTENV, 'kube-down', dir]);
    throw new Error(`bash scripts/testenv.sh kube-up failed (exit ${up.status}):\n${up.stderr.slice(-3000)}`);
  }
  const kubeconfig = last.slice('KUBECONFIG='.length);
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  const kubectl = (args: string[], input?: string) => run(kubeTools().kubectl, args, input, env);
  const must = (args: string[], input?: string) => {
    const r = kubectl(args, input);
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  return {
    kubeconfig,
    dir,
    kubectl,
    kubectlAsync: (args, input) => runAsync(kubeTools().kubectl, args, input, env),
    must,
    helm: (args) => helm([...args, '--kubeconfig', kubeconfig], env),
    namespace(name, labels = {}) {
      const meta = { name, labels };
      must(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: meta }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } }] }));
    },
    stop: async () => {
      run('bash', [TESTENV, 'kube-down', dir]);
    },
  };
}
