// The request data of each workload, as ghz --data-file arrays: ghz v0.121
// sends item (request number mod length) of a JSON array, so an array of N
// requests with N tokens cycles through N tokens.
//   W1 (and the no-op server): 1,000 tokens, verified in a warm-up first.
//   W2: a fresh array of never-sent tokens for every run, more tokens than
//       the run can send, so every request costs a signature verification.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkRequestJson } from './check-request.js';
import type { TokenMinter } from './tokens.js';

export interface DataFile {
  path: string;
  items: number;
  /** Bytes of one JSON item (for the record). */
  itemJsonBytes: number;
}

function writeData(path: string, tokens: readonly string[], firstIndex: number): DataFile {
  const time = new Date();
  const items = tokens.map((t, i) => JSON.stringify(checkRequestJson(t, firstIndex + i, time)));
  writeFileSync(path, `[${items.join(',\n')}]`);
  return { path, items: items.length, itemJsonBytes: items[0]?.length ?? 0 };
}

export class Workloads {
  private w2Next: number;
  private w2Files = 0;

  constructor(
    private readonly minter: TokenMinter,
    private readonly dir: string,
    w1Tokens: number,
  ) {
    this.w2Next = w1Tokens; // W2 subjects never collide with W1's
  }

  /** W1's data: `count` distinct tokens, made once and reused by every W1 run. */
  w1(count: number): DataFile {
    return writeData(join(this.dir, 'w1.json'), this.minter.mintMany(count, 0), 0);
  }

  /** A W2 data file of `count` tokens never sent before. */
  w2(count: number): DataFile {
    const tokens = this.minter.mintMany(count, this.w2Next);
    const file = writeData(join(this.dir, `w2-${this.w2Files++}.json`), tokens, this.w2Next);
    this.w2Next += count;
    return file;
  }
}

/**
 * Tokens a W2 run needs: its requests plus a margin. A closed-loop run is
 * sized from the rate seen so far (raised by half); an open-loop run sends at
 * most rps × seconds.
 */
export function w2TokensNeeded(load: { seconds: number; rps?: number }, observedRps: number): number {
  if (load.rps !== undefined) return Math.ceil(load.rps * load.seconds * 1.05) + 500;
  return Math.ceil(observedRps * 1.5 * load.seconds) + 2000;
}
