// What the numbers were measured on: CPU, memory, kernel, versions, and how
// loaded the machine was, so a later run on a quiet machine can be compared.
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../common/package-root.js';

export const GHZ_VERSION = 'v0.121.0';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  os: string;
  node: string;
  v8: string;
  openssl: string;
  packages: Record<string, string>;
  ghz: string;
  loadAverageAtStart: number[];
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function osName(): string {
  if (!existsSync('/etc/os-release')) return 'unknown';
  return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    cpuModel: list[0]?.model ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    os: osName(),
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl ?? 'unknown',
    packages: Object.fromEntries(['@grpc/grpc-js', '@grpc/proto-loader', '@grpc/grpc-js-xds', 'jose', 'pino', '@marcbachmann/cel-js'].map((p) => [p, packageVersion(p)])),
    ghz: `${GHZ_VERSION} (go install github.com/bojand/ghz/cmd/ghz@${GHZ_VERSION})`,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
