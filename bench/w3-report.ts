// The W3 section of docs/benchmarks.md, from bench/results/w3-signals.json
// (written by bench/w3-signals.ts), so the generated doc keeps it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface W3Result {
  date: string;
  rounds: number;
  requestsPerRound: number;
  p50_us: { memory: number; redis: number };
  p99_us: { memory: number; redis: number };
  redisAddsP50_us: number;
  bareRedisGetP50_us: number;
  rows: { memory: { p50: number }; redis: { p50: number } }[];
  refused: { memory: number; redis: number };
}

const GOAL_US = 100;
const us = (v: number) => `${Math.round(v)} µs`;

/** Markdown lines of the W3 section; empty when W3 was never run. */
export function w3Section(root: string): string[] {
  const file = join(root, 'bench', 'results', 'w3-signals.json');
  if (!existsSync(file)) return [];
  const r = JSON.parse(readFileSync(file, 'utf8')) as W3Result;
  const adds = r.rows.map((row) => row.redis.p50 - row.memory.p50);
  const verdict = r.redisAddsP50_us <= GOAL_US ? 'met' : '**not met**';
  return [
    '## W3: signals in Redis',
    '',
    `From \`bench/w3-signals.ts\` (\`node dist/bench/w3-signals.js\`), run ${r.date.slice(0, 10)}: two sidecars with the same signal-reading policy, one with the memory store and one with Redis, pinned to core 0; a closed-loop client (one request in flight) on core 1 alternates between them; 1,000 subjects with cached tokens; ${r.rounds} rounds of ${r.requestsPerRound.toLocaleString('en-US')} Checks, medians over rounds.`,
    '',
    '| store | p50 | p99 |',
    '|---|---|---|',
    `| memory | ${us(r.p50_us.memory)} | ${us(r.p99_us.memory)} |`,
    `| Redis (one script call per Check) | ${us(r.p50_us.redis)} | ${us(r.p99_us.redis)} |`,
    '',
    `Redis adds **${us(r.redisAddsP50_us)}** to p50 (rounds: ${adds.map(us).join(', ')}); goal ≤ ${us(GOAL_US)}: ${verdict}. A bare ioredis GET from the client process takes ${us(r.bareRedisGetP50_us)} p50 (the floor of one round trip). Refused Checks: ${r.refused.memory} (memory), ${r.refused.redis} (Redis).`,
  ];
}
