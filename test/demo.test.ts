// The demo (README command 1) run as a user runs it: the built
// dist/demo/main.js as its own process, with a real OpenID Provider, sidecar
// and Envoy. Needs `npm run build` and a provisioned Envoy first.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/demo/main.js', import.meta.url));
const TIMEOUT_MS = 120_000;

function runDemo(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS - 5_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

it(
  'walks through step-up authentication and exits 0',
  async () => {
    const { code, output } = await runDemo();
    expect(code, output).toBe(0);
    expect(output).toMatch(/^ {3}← 401 {2}WWW-Authenticate: Bearer .*error="insufficient_user_authentication".*acr_values="2 urn:example:loa:2", max_age="300"$/m);
    expect(output).toContain('error_description="A more recent authentication is required for this request."');
    expect(output).toMatch(/^PASS: all \d+ steps behaved as expected\.$/m);
    expect(output).not.toContain('FAIL');
  },
  TIMEOUT_MS,
);
