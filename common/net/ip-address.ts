// IP addresses and CIDR blocks as 128-bit numbers (four 32-bit words, most
// significant first). IPv4 lives in the IPv4-mapped range ::ffff:0:0/96, so
// one structure holds both families and ::ffff:192.0.2.1 equals 192.0.2.1.
// Shared by the policy validator (CIDR syntax) and the sidecar (lookups).

/** An address as four unsigned 32-bit words, most significant first. */
export type IpWords = readonly [number, number, number, number];

/** An inclusive range of addresses. */
export interface IpRange {
  readonly start: IpWords;
  readonly end: IpWords;
}

const V4_MAPPED_WORD = 0x0000ffff;
const OCTET = /^(0|[1-9][0-9]{0,2})$/;
const GROUP = /^[0-9a-fA-F]{1,4}$/;

/** A dotted-quad IPv4 address as an unsigned 32-bit number (no leading zeros, which some parsers read as octal). */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** 16-bit groups of one side of `::`; an IPv4 tail counts as two groups. */
function parseGroups(text: string, allowV4Tail: boolean): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (allowV4Tail && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
    } else if (GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseIpv6(text: string): IpWords | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  let groups: number[];
  if (halves.length === 1) {
    const all = parseGroups(text, true);
    if (!all || all.length !== 8) return undefined;
    groups = all;
  } else {
    const head = parseGroups(halves[0] as string, false);
    const tail = parseGroups(halves[1] as string, true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const w = (i: number) => ((groups[2 * i] as number) * 0x10000 + (groups[2 * i + 1] as number)) >>> 0;
  return [w(0), w(1), w(2), w(3)];
}

/**
 * Parses an IPv4 or IPv6 address (brackets and a `%zone` are ignored). IPv4
 * becomes its IPv4-mapped IPv6 form. Returns undefined when it is not one.
 */
export function parseIp(input: string): IpWords | undefined {
  let text = input.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (!text.includes(':')) {
    const v4 = parseIpv4(text);
    return v4 === undefined ? undefined : [0, 0, V4_MAPPED_WORD, v4];
  }
  return parseIpv6(text);
}

/** True for an IPv4 address or an IPv4-mapped IPv6 one. */
export function isIpv4(words: IpWords): boolean {
  return words[0] === 0 && words[1] === 0 && words[2] === V4_MAPPED_WORD;
}

/** Dotted-quad text of an IPv4(-mapped) address, or undefined for other IPv6 addresses. */
export function ipv4Text(words: IpWords): string | undefined {
  if (!isIpv4(words)) return undefined;
  const v = words[3];
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff].join('.');
}

function maskWord(prefix: number, index: number): number {
  const bits = Math.min(32, Math.max(0, prefix - 32 * index));
  return bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/**
 * Parses `address/prefix` (or a bare address, a single-address block) into
 * the range it covers. Host bits below the prefix are ignored. IPv4 prefixes
 * count IPv4 bits (10.0.0.0/8). Returns undefined for anything else.
 */
export function parseCidr(text: string): IpRange | undefined {
  const slash = text.indexOf('/');
  const address = parseIp(slash >= 0 ? text.slice(0, slash) : text);
  if (!address) return undefined;
  const v4 = !text.slice(0, slash >= 0 ? slash : undefined).includes(':');
  const max = v4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const raw = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(raw) || Number(raw) > max) return undefined;
    prefix = Number(raw);
  }
  const bits = v4 ? 96 + prefix : prefix;
  const start = address.map((w, i) => (w & maskWord(bits, i)) >>> 0) as unknown as IpWords;
  const end = address.map((w, i) => (w | ~maskWord(bits, i)) >>> 0) as unknown as IpWords;
  return { start, end };
}

/** -1, 0 or 1 as a is below, equal to or above b. */
export function compareIp(a: IpWords, b: IpWords): number {
  for (let i = 0; i < 4; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
