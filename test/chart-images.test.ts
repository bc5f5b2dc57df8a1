// The images the chart deploys, checked by reading deploy/images/Dockerfile
// (no container engine here to build them): hadolint, the stage layout, a
// non-root user matching the chart, production dependencies only, entry
// points matching package.json, and the files the code reads at run time.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CRD_PATH } from '../common/policy/crd-schema.js';
import { find, render } from './support/chart.js';

const DOCKERFILE = 'deploy/images/Dockerfile';
const text = readFileSync(DOCKERFILE, 'utf8');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> };

interface Stage {
  from: string;
  name: string;
  lines: string[];
}

function stages(dockerfile: string): Stage[] {
  const out: Stage[] = [];
  const joined = dockerfile.replace(/\\\n\s*/g, ' ');
  for (const line of joined.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ from: from[1] as string, name: from[2] ?? '', lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

const all = stages(text);
const stage = (name: string) => all.find((s) => s.name === name) as Stage;
/** A stage's lines with those of the stages it is built FROM. */
const lineage = (name: string): string[] => {
  const s = stage(name);
  return [...(all.some((x) => x.name === s.from) ? lineage(s.from) : []), ...s.lines];
};

function hadolint(): string {
  const bin = join(process.env.STEPUP_CACHE ?? join(homedir(), '.cache', 'stepup'), 'hadolint-2.15.1', 'bin', 'hadolint');
  if (!existsSync(bin)) throw new Error(`hadolint is not provisioned at ${bin}: run bash scripts/provision.sh`);
  return bin;
}

describe('deploy/images/Dockerfile', () => {
  it('passes hadolint', () => {
    const r = spawnSync(hadolint(), [DOCKERFILE], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('builds in one stage and runs from node:24-slim in others, one target per binary', () => {
    expect(all.map((s) => [s.name, s.from])).toEqual([
      ['build', '${NODE_IMAGE}'],
      ['runtime', '${NODE_IMAGE}'],
      ['sidecar', 'runtime'],
      ['controller', 'runtime'],
    ]);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24-slim$/m);
  });

  it('keeps production dependencies only and no package manager at run time', () => {
    expect(stage('build').lines.join('\n')).toMatch(/npm ci .*\n(.*\n)*.*npm prune --omit=dev/);
    const runtime = lineage('sidecar').join('\n');
    expect(runtime).toMatch(/rm -rf \/usr\/local\/lib\/node_modules\/npm/);
    expect(runtime).toMatch(/COPY --from=build \/src\/node_modules/);
    expect(runtime).not.toMatch(/COPY (common|sidecar|controller|test)\b/);
  });

  it.each(['sidecar', 'controller'])('%s: runs as the non-root UID the chart sets', (target) => {
    const users = lineage(target).filter((l) => l.startsWith('USER '));
    expect(users.at(-1)).toBe('USER 65532:65532');
    const objects = render();
    expect(find(objects, 'Deployment').spec.template.spec.securityContext.runAsUser).toBe(65532);
    expect(JSON.parse(find(objects, 'ConfigMap', 'stepup-injector').data['settings.json']).runAsUser).toBe(65532);
  });

  it('entry points are the binaries package.json names', () => {
    expect(lineage('sidecar').at(-1)).toBe(`ENTRYPOINT ["node", "${pkg.bin['stepup-sidecar']}"]`);
    expect(lineage('controller').at(-1)).toBe('ENTRYPOINT ["node", "dist/controller/main.js"]');
  });

  it('carries what the code reads at run time: package.json beside charts/ (packageRoot), the CRD, the protos', () => {
    const runtime = lineage('sidecar');
    expect(runtime).toContain('COPY --from=build /src/package.json ./package.json');
    expect(runtime).toContain(`COPY ${CRD_PATH} ./${CRD_PATH}`);
    expect(runtime).toContain('COPY --from=build /src/proto ./proto');
  });

  it('.dockerignore keeps dependencies, builds and the git folder out of the context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    for (const entry of ['.git', 'node_modules', 'dist']) expect(ignored).toContain(entry);
  });
});
