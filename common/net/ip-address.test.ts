import { describe, expect, it } from 'vitest';
import { compareIp, ipv4Text, parseCidr, parseIp } from './ip-address.js';

const hex = (w: readonly number[] | undefined) => w?.map((x) => x.toString(16).padStart(8, '0')).join(' ');

describe('parseIp', () => {
  it.each([
    ['192.0.2.1', '00000000 00000000 0000ffff c0000201'],
    ['0.0.0.0', '00000000 00000000 0000ffff 00000000'],
    ['255.255.255.255', '00000000 00000000 0000ffff ffffffff'],
    ['::ffff:192.0.2.1', '00000000 00000000 0000ffff c0000201'],
    ['::ffff:c000:201', '00000000 00000000 0000ffff c0000201'],
    ['2001:db8::1', '20010db8 00000000 00000000 00000001'],
    ['2001:DB8:0:0:0:0:0:1', '20010db8 00000000 00000000 00000001'],
    ['::', '00000000 00000000 00000000 00000000'],
    ['::1', '00000000 00000000 00000000 00000001'],
    ['1::', '00010000 00000000 00000000 00000000'],
    ['1:2:3:4:5:6:7::', '00010002 00030004 00050006 00070000'],
    ['[2001:db8::1]', '20010db8 00000000 00000000 00000001'],
    ['fe80::1%eth0', 'fe800000 00000000 00000000 00000001'],
    [' 10.1.2.3 ', '00000000 00000000 0000ffff 0a010203'],
  ])('%s', (text, words) => {
    expect(hex(parseIp(text))).toBe(words);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', 'a.b.c.d', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::1', ':::', '1:2:3:4:5:6:7', '::1.2.3.256', 'example.com'])(
    'refuses %j',
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0', '10.255.255.255'],
    ['10.1.2.3/8', '10.0.0.0', '10.255.255.255'],
    ['192.0.2.7', '192.0.2.7', '192.0.2.7'],
    ['192.0.2.7/32', '192.0.2.7', '192.0.2.7'],
    ['0.0.0.0/0', '0.0.0.0', '255.255.255.255'],
    ['198.51.100.0/23', '198.51.100.0', '198.51.101.255'],
  ])('%s covers %s to %s', (cidr, first, last) => {
    const r = parseCidr(cidr);
    expect(r && ipv4Text(r.start)).toBe(first);
    expect(r && ipv4Text(r.end)).toBe(last);
  });

  it('IPv6 blocks', () => {
    const r = parseCidr('2001:db8::/32');
    expect(hex(r?.start)).toBe('20010db8 00000000 00000000 00000000');
    expect(hex(r?.end)).toBe('20010db8 ffffffff ffffffff ffffffff');
    const odd = parseCidr('2001:db8:8000::/33');
    expect(hex(odd?.start)).toBe('20010db8 80000000 00000000 00000000');
    expect(hex(odd?.end)).toBe('20010db8 ffffffff ffffffff ffffffff');
    expect(hex(parseCidr('::/0')?.end)).toBe('ffffffff ffffffff ffffffff ffffffff');
  });

  it.each(['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '10.0.0.0/x', 'nope/8', '10.0.0.0/8/8'])('refuses %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe('compareIp', () => {
  it('orders addresses numerically, IPv4 inside ::ffff:0:0/96', () => {
    const sorted = ['::1', '1.2.3.4', '10.0.0.1', '255.255.255.255', '2001:db8::1'];
    const parsed = sorted.map((t) => parseIp(t)!);
    for (let i = 1; i < parsed.length; i++) expect(compareIp(parsed[i - 1]!, parsed[i]!)).toBe(-1);
    expect(compareIp(parseIp('1.2.3.4')!, parseIp('::ffff:102:304')!)).toBe(0);
  });
});
