import { describe, expect, it } from 'vitest';
import { clientAddress } from './client-address.js';

describe('clientAddress', () => {
  it.each([
    ['no trusted hops: the source, whatever the header says', 0, '203.0.113.9', '10.0.0.1', '10.0.0.1'],
    ['one hop: the rightmost entry', 1, '198.51.100.1, 203.0.113.9', '10.0.0.1', '203.0.113.9'],
    ['two hops: the second from the right', 2, '198.51.100.1, 203.0.113.9, 10.1.1.1', '10.0.0.1', '203.0.113.9'],
    ['a client-forged entry on the left is ignored', 1, '1.1.1.1,203.0.113.9', '10.0.0.1', '203.0.113.9'],
    ['fewer entries than hops: the source', 3, '203.0.113.9, 10.1.1.1', '10.0.0.1', '10.0.0.1'],
    ['no header: the source', 1, undefined, '10.0.0.1', '10.0.0.1'],
    ['empty entries are skipped', 1, '203.0.113.9, ,', '10.0.0.1', '203.0.113.9'],
    ['IPv6 entries', 1, '2001:db8::1', '::1', '2001:db8::1'],
  ])('%s', (_n, hops, xff, source, client) => {
    const headers: Record<string, string> = xff === undefined ? {} : { 'x-forwarded-for': xff };
    expect(clientAddress(source, headers, hops)).toBe(client);
  });
});
