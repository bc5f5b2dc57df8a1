// The shared shape of the two binaries' entry points: parse the config (exit
// 2 with a pointer to --help on a mistake), print --help or --version, run
// (exit 1 with the reason when it cannot start).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './flags.js';
import { packageRoot } from './package-root.js';

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export interface Cli<C> {
  name: string;
  parse: () => { help: true } | { version: true } | { config: C };
  help: () => string;
  run: (config: C) => Promise<void>;
}

export async function runCli<C>(cli: Cli<C>): Promise<void> {
  let parsed;
  try {
    parsed = cli.parse();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${cli.name}: ${err.message}\nRun ${cli.name} --help for every flag.\n`);
    process.exit(2);
  }
  if ('help' in parsed) return void process.stdout.write(`${cli.help()}\n`);
  if ('version' in parsed) return void process.stdout.write(`${packageVersion()}\n`);
  try {
    await cli.run(parsed.config);
  } catch (err) {
    process.stderr.write(`${cli.name}: cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
