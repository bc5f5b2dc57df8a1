// A lookup table from address to the named lists containing it, built as
// sorted disjoint ranges: every CIDR block becomes a start and an end event,
// one sweep turns overlapping blocks into boundaries, and a lookup is one
// binary search over those boundaries (about 18 steps for 100,000 blocks).
// Addresses are 128-bit (IPv4 is IPv4-mapped), kept in one Uint32Array.
import { compareIp, type IpRange, type IpWords } from '../../../common/net/ip-address.js';

/** One block of one list. */
export interface ListEntry {
  readonly range: IpRange;
  /** Index of the list (into the names given to buildIpRangeSet). */
  readonly list: number;
}

export interface IpRangeSet {
  /** Names of the lists containing the address (in list order), or an empty array. */
  lookup(address: IpWords): readonly string[];
  /** Number of boundaries, for diagnostics. */
  readonly size: number;
}

const EMPTY: readonly string[] = Object.freeze([]);
const MAX = 0xffffffff;

/** address + 1, or undefined past the last address. */
function successor(a: IpWords): IpWords | undefined {
  const out = [...a] as [number, number, number, number];
  for (let i = 3; i >= 0; i--) {
    if (out[i] !== MAX) {
      out[i] = (out[i] as number) + 1;
      return out;
    }
    out[i] = 0;
  }
  return undefined;
}

interface Events {
  keys: Uint32Array;
  deltas: Int8Array;
  lists: Int32Array;
  count: number;
}

function collectEvents(entries: readonly ListEntry[]): Events {
  const keys = new Uint32Array(entries.length * 8);
  const deltas = new Int8Array(entries.length * 2);
  const lists = new Int32Array(entries.length * 2);
  let count = 0;
  const push = (key: IpWords, delta: number, list: number) => {
    keys.set(key, count * 4);
    deltas[count] = delta;
    lists[count] = list;
    count++;
  };
  for (const e of entries) {
    push(e.range.start, 1, e.list);
    const after = successor(e.range.end);
    if (after) push(after, -1, e.list);
  }
  return { keys, deltas, lists, count };
}

function keyAt(keys: Uint32Array, i: number): IpWords {
  return [keys[i * 4] as number, keys[i * 4 + 1] as number, keys[i * 4 + 2] as number, keys[i * 4 + 3] as number];
}

/** compareIp(boundary i, address) without allocating. */
function compareAt(keys: Uint32Array, i: number, address: IpWords): number {
  for (let w = 0; w < 4; w++) {
    const x = keys[i * 4 + w] as number;
    const y = address[w] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function sortedOrder(ev: Events): Uint32Array {
  const order = new Uint32Array(ev.count);
  for (let i = 0; i < ev.count; i++) order[i] = i;
  return order.sort((a, b) => {
    for (let w = 0; w < 4; w++) {
      const x = ev.keys[a * 4 + w] as number;
      const y = ev.keys[b * 4 + w] as number;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  });
}

/** Builds the table. `names[i]` is the name of list i. */
export function buildIpRangeSet(names: readonly string[], entries: readonly ListEntry[]): IpRangeSet {
  const ev = collectEvents(entries);
  const order = sortedOrder(ev);
  const active = new Int32Array(names.length);
  const combos: (readonly string[])[] = [EMPTY];
  const comboIds = new Map<string, number>([['', 0]]);
  const bounds: number[] = [];
  const boundCombo: number[] = [];
  let i = 0;
  while (i < ev.count) {
    const key = keyAt(ev.keys, order[i] as number);
    // apply every event at this address
    while (i < ev.count && compareIp(keyAt(ev.keys, order[i] as number), key) === 0) {
      const e = order[i] as number;
      const list = ev.lists[e] as number;
      active[list] = (active[list] as number) + (ev.deltas[e] as number);
      i++;
    }
    const members: number[] = [];
    active.forEach((n, list) => n > 0 && members.push(list));
    const id = members.join(',');
    let combo = comboIds.get(id);
    if (combo === undefined) {
      combo = combos.length;
      combos.push(Object.freeze(members.map((m) => names[m] as string)));
      comboIds.set(id, combo);
    }
    if (boundCombo.at(-1) === combo) continue; // same lists as the previous range: no new boundary
    bounds.push(...key);
    boundCombo.push(combo);
  }
  const keys = Uint32Array.from(bounds);
  const comboOf = Int32Array.from(boundCombo);
  const n = comboOf.length;
  return {
    size: n,
    lookup(address) {
      // the last boundary at or below the address
      let lo = 0;
      let hi = n - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (compareAt(keys, mid, address) <= 0) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      return found < 0 ? EMPTY : (combos[comboOf[found] as number] as readonly string[]);
    },
  };
}
