import { describe, expect, it } from 'vitest';
import { parseIpListText } from './ip-list-text.js';

describe('parseIpListText', () => {
  it('keeps each entry as written, without comments and blanks', () => {
    expect(parseIpListText('# header\n198.51.100.0/24\n\n  2001:db8::1 # host\r\n', 'src').map((l) => l.text)).toEqual(['198.51.100.0/24', '2001:db8::1']);
  });

  it('names the source and line of the first bad entry', () => {
    expect(() => parseIpListText('10.0.0.1\nnot-an-ip\n', 'ConfigMap a/b key k')).toThrow('ConfigMap a/b key k:2: "not-an-ip" is not an IPv4 or IPv6 address or CIDR block');
  });
});
