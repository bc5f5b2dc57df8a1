// A real kube-apiserver (with etcd) for tests, started by scripts/testenv.sh
// (which provisions and caches the binaries), and kubectl against it.
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../common/package-root.js';
import { tempDir } from './processes.js';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubeEnv {
  readonly kubeconfig: string;
  readonly dir: string;
  /** Runs kubectl; resolves with its result whatever the exit code. */
  run(args: string[], input?: string): Promise<KubectlResult>;
  /** Runs kubectl and throws with its stderr unless it exits 0. */
  kubectl(args: string[], input?: string): Promise<string>;
  /** `kubectl apply -f -` with this YAML. */
  apply(yaml: string): Promise<string>;
  /** `kubectl get -o json`, parsed. */
  getJson<T = Record<string, unknown>>(args: string[]): Promise<T>;
  restartApiserver(): Promise<void>;
  down(): Promise<void>;
}

function testenv(args: string[], timeoutMs: number): Promise<KubectlResult> {
  const script = join(packageRoot(), 'scripts', 'testenv.sh');
  return runCommand('bash', [script, ...args], undefined, timeoutMs);
}

function runCommand(command: string, args: string[], input: string | undefined, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** KEY=VALUE lines of `scripts/testenv.sh paths`. */
export function testenvPaths(): Record<string, string> {
  const script = join(packageRoot(), 'scripts', 'testenv.sh');
  const out = spawnSync('bash', [script, 'paths'], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`scripts/testenv.sh paths failed: ${out.stderr}`);
  return Object.fromEntries(out.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/**
 * Runs kube-up in a fresh folder. A start-up that fails (on a loaded machine
 * the script can misjudge a process that is still starting) is cleaned up
 * with kube-down and tried again, twice at most.
 */
async function startControlPlane(): Promise<string> {
  let failure = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const dir = tempDir('kube');
    const up = await testenv(['kube-up', dir], 15 * 60_000);
    const last = up.stdout.trim().split('\n').at(-1) ?? '';
    if (up.code === 0 && last.startsWith('KUBECONFIG=')) return last.slice('KUBECONFIG='.length);
    failure = `exit ${up.code}:\n${up.stderr.slice(-3000)}`;
    await testenv(['kube-down', dir], 60_000);
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(`a real kube-apiserver is needed and scripts/testenv.sh kube-up failed 3 times. Provision it with: bash scripts/testenv.sh provision\nlast failure, ${failure}`);
}

/**
 * Starts etcd and kube-apiserver on loopback. Fails with the script's own
 * message when the control plane cannot be provisioned or started.
 */
export async function kubeUp(): Promise<KubeEnv> {
  const kubeconfig = await startControlPlane();
  const dir = dirname(kubeconfig);
  const kubectlBin = testenvPaths().KUBECTL;
  if (!kubectlBin) throw new Error('scripts/testenv.sh paths printed no KUBECTL');
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  const run = (args: string[], input?: string) => runCommand(kubectlBin, args, input, 60_000, env);
  const kubectl = async (args: string[], input?: string) => {
    const r = await run(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  return {
    kubeconfig,
    dir,
    run,
    kubectl,
    apply: (yaml) => kubectl(['apply', '-f', '-'], yaml),
    getJson: async <T>(args: string[]) => JSON.parse(await kubectl(['get', ...args, '-o', 'json'])) as T,
    restartApiserver: async () => {
      // Tried again like kube-up: the script can misjudge a process that is still starting.
      let r: KubectlResult | undefined;
      for (let attempt = 1; attempt <= 3 && r?.code !== 0; attempt++) r = await testenv(['kube-restart-apiserver', dir], 120_000);
      if (r?.code !== 0) throw new Error(`kube-restart-apiserver failed 3 times: ${r?.stderr.slice(-2000)}`);
    },
    down: async () => {
      await testenv(['kube-down', dir], 60_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
