import { describe, expect, it } from 'vitest';
import { compareIp, parseCidr, parseIp, type IpRange, type IpWords } from '../../../common/net/ip-address.js';
import { buildIpRangeSet, type ListEntry } from './ip-range-set.js';

const NAMES = ['tor', 'office', 'cloud', 'v6'];
const BLOCKS: [string, number][] = [
  ['198.51.100.0/24', 0],
  ['198.51.100.128/25', 2],
  ['10.0.0.0/8', 1],
  ['10.1.0.0/16', 1], // nested in the same list
  ['192.0.2.7', 0],
  ['2001:db8::/32', 3],
  ['2001:db8:ffff::/48', 0],
  ['255.255.255.255/32', 2], // ends at the top of the IPv4 range
  ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124', 3], // ends at the very last address
];

function entries(blocks: [string, number][]): ListEntry[] {
  return blocks.map(([cidr, list]) => ({ range: parseCidr(cidr) as IpRange, list }));
}

const set = buildIpRangeSet(NAMES, entries(BLOCKS));

describe('IP range set lookups', () => {
  it.each([
    ['198.51.100.1', ['tor']],
    ['198.51.100.0', ['tor']],
    ['198.51.100.127', ['tor']],
    ['198.51.100.128', ['tor', 'cloud']],
    ['198.51.100.255', ['tor', 'cloud']],
    ['198.51.101.0', []],
    ['198.51.99.255', []],
    ['10.0.0.1', ['office']],
    ['10.1.2.3', ['office']],
    ['10.255.255.255', ['office']],
    ['11.0.0.0', []],
    ['192.0.2.7', ['tor']],
    ['192.0.2.6', []],
    ['192.0.2.8', []],
    ['::ffff:192.0.2.7', ['tor']],
    ['255.255.255.255', ['cloud']],
    ['2001:db8::1', ['v6']],
    ['2001:db8:ffff::1', ['tor', 'v6']],
    ['2001:db9::', []],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', ['v6']],
    ['::', []],
    ['::1', []],
    ['0.0.0.0', []],
  ])('%s is in %j', (address, lists) => {
    expect(set.lookup(parseIp(address) as IpWords)).toEqual(lists);
  });

  it('an empty table finds nothing', () => {
    expect(buildIpRangeSet([], []).lookup(parseIp('1.2.3.4') as IpWords)).toEqual([]);
  });
});

/** A deterministic pseudo-random generator (xorshift32), so the test is repeatable. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

describe('100,000 blocks', () => {
  const next = rng(42);
  const blocks: ListEntry[] = [];
  for (let i = 0; i < 100_000; i++) {
    const v6 = i % 5 === 0;
    const prefix = v6 ? 32 + (next() % 97) : 8 + (next() % 25);
    const text = v6 ? `2001:${(next() & 0xffff).toString(16)}:${(next() & 0xffff).toString(16)}::/${prefix}` : `${next() & 255}.${next() & 255}.${next() & 255}.${next() & 255}/${prefix}`;
    blocks.push({ range: parseCidr(text) as IpRange, list: i % 3 });
  }
  const names = ['a', 'b', 'c'];
  const big = buildIpRangeSet(names, blocks);

  function naive(address: IpWords): string[] {
    const hit = new Set<number>();
    for (const b of blocks) if (compareIp(b.range.start, address) <= 0 && compareIp(address, b.range.end) <= 0) hit.add(b.list);
    return names.filter((_n, i) => hit.has(i));
  }

  it('agrees with a linear scan on addresses inside, at the edges of, and outside blocks', () => {
    const probes: IpWords[] = [];
    for (let i = 0; i < 60; i++) {
      const b = blocks[next() % blocks.length] as ListEntry;
      probes.push(b.range.start, b.range.end);
    }
    for (let i = 0; i < 60; i++) probes.push(parseIp(`${next() & 255}.${next() & 255}.${next() & 255}.${next() & 255}`) as IpWords);
    probes.push(parseIp('2001:1:2::')!, parseIp('::')!, parseIp('ffff::')!);
    for (const p of probes) expect(big.lookup(p)).toEqual(naive(p));
    expect(big.size).toBeGreaterThan(0);
  });
});
