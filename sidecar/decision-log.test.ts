import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { decisionWriter, type DecisionRecord } from './decision-log.js';
import type { Decision } from './decision/types.js';

function sink(): { lines: string[]; write(line: string): void } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

const decision = { outcome: 'deny', reason: 'ip_flagged', hits: [], description: 'Flagged address.' } as unknown as Decision;
const record = (signals?: Record<string, unknown>): DecisionRecord => ({ decisionId: 'd-1', request: undefined, identity: undefined, decision, policySet: undefined, ...(signals ? { signals } : {}), status: 403, latencyMs: 0.1234 });

describe('decisionWriter', () => {
  it('writes the line pino would write for log.info(fields, "decision"), one per record', () => {
    const viaWriter = sink();
    const viaPino = sink();
    const base = { component: 'stepup-sidecar' };
    const writer = decisionWriter(pino({ base }, viaWriter), viaWriter, base);
    writer(record({ rate: 3 }));
    const reference = pino({ base }, viaPino);
    reference.info({ decision_id: 'd-1', outcome: 'deny', reason: 'ip_flagged', status: 403, latency_ms: 0.123, rules: [], triggers: [], signals: { rate: 3 }, description: 'Flagged address.' }, 'decision');
    expect(viaWriter.lines).toHaveLength(1);
    expect(viaWriter.lines[0]?.endsWith('\n')).toBe(true);
    const ours = JSON.parse(viaWriter.lines[0] as string);
    const theirs = JSON.parse(viaPino.lines[0] as string);
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    expect({ ...ours, time: 0 }).toEqual({ ...theirs, time: 0 });
    expect(Math.abs(ours.time - theirs.time)).toBeLessThan(60_000);
  });

  it('writes nothing when the level is above info', () => {
    const out = sink();
    decisionWriter(pino({ level: 'warn' }, out), out, {})(record());
    expect(out.lines).toEqual([]);
  });

  it('a value JSON.stringify refuses (a bigint) still makes a line, through pino', () => {
    const out = sink();
    decisionWriter(pino({}, out), out, {})(record({ rate: 3n }));
    expect(out.lines).toHaveLength(1);
    expect(JSON.parse(out.lines[0] as string)).toMatchObject({ msg: 'decision', decision_id: 'd-1', signals: { rate: 3 } });
  });
});
