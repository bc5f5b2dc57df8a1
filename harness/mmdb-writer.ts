// Writes small MaxMind DB (.mmdb, format 2.0) files for tests and the demo:
// an IPv6 search tree with 24-bit records (IPv4 networks under ::/96, where
// readers look IPv4 up), a data section of GeoIP2-shaped maps, and the
// metadata map after the "\xAB\xCD\xEFMaxMind.com" marker.
import { parseIp } from '../common/net/ip-address.js';

export interface GeoEntry {
  /** An IPv4 or IPv6 CIDR block. */
  readonly cidr: string;
  readonly country: string;
  readonly lat: number;
  readonly lon: number;
}

type Value = string | number | { u16: number } | { u32: number } | { u64: number } | Value[] | { [key: string]: Value };

function control(type: number, size: number): Buffer {
  const ext = type > 7;
  const first = (ext ? 0 : type) << 5;
  let head: number[];
  if (size < 29) head = [first | size];
  else if (size < 285) head = [first | 29, size - 29];
  else if (size < 65_821) head = [first | 30, (size - 285) >> 8, (size - 285) & 0xff];
  else head = [first | 31, ((size - 65_821) >> 16) & 0xff, ((size - 65_821) >> 8) & 0xff, (size - 65_821) & 0xff];
  return Buffer.from(ext ? [head[0] as number, type - 7, ...head.slice(1)] : head);
}

function unsigned(type: number, value: number | bigint, maxBytes: number): Buffer {
  const bytes: number[] = [];
  let v = BigInt(value);
  while (v > 0n && bytes.length < maxBytes) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)]);
}

function encode(value: Value): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(2, bytes.length), bytes]);
  }
  if (typeof value === 'number') {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(value);
    return Buffer.concat([control(3, 8), b]);
  }
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)]);
  if ('u16' in value && typeof value.u16 === 'number') return unsigned(5, value.u16, 2);
  if ('u32' in value && typeof value.u32 === 'number') return unsigned(6, value.u32, 4);
  if ('u64' in value && typeof value.u64 === 'number') return unsigned(9, value.u64, 8);
  const entries = Object.entries(value);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v as Value)])]);
}

type Rec = { node: number } | { data: number } | null;

/** The bits of a block in the IPv6 tree: IPv4 blocks sit under 96 zero bits. */
function prefixBits(cidr: string): number[] {
  const [address = '', len] = cidr.split('/');
  const words = parseIp(address);
  if (!words) throw new Error(`not an address: ${cidr}`);
  const v4 = !address.includes(':');
  const all = v4 ? [0, 0, 0, words[3]] : [...words];
  const prefix = (v4 ? 96 : 0) + Number(len ?? (v4 ? 32 : 128));
  return Array.from({ length: prefix }, (_x, i) => ((all[i >> 5] as number) >>> (31 - (i & 31))) & 1);
}

/** A .mmdb with one GeoIP2-shaped record per entry (blocks must not overlap). */
export function buildMmdb(entries: readonly GeoEntry[], databaseType = 'stepup-test-geo'): Buffer {
  const nodes: [Rec, Rec][] = [[null, null]];
  const data: Buffer[] = [];
  let dataSize = 0;
  for (const e of entries) {
    const record = encode({ country: { iso_code: e.country }, location: { latitude: e.lat, longitude: e.lon } });
    const leaf: Rec = { data: dataSize };
    data.push(record);
    dataSize += record.length;
    const bits = prefixBits(e.cidr);
    let node = 0;
    bits.forEach((bit, i) => {
      const pair = nodes[node] as [Rec, Rec];
      if (i === bits.length - 1) return void (pair[bit] = leaf);
      const rec = pair[bit] as Rec;
      if (rec && 'node' in rec) return void (node = rec.node);
      nodes.push([rec, rec]);
      pair[bit] = { node: nodes.length - 1 };
      node = nodes.length - 1;
    });
  }
  const count = nodes.length;
  const tree = Buffer.alloc(count * 6);
  const value = (r: Rec) => (r === null ? count : 'node' in r ? r.node : count + 16 + r.data);
  nodes.forEach(([l, r], i) => {
    tree.writeUIntBE(value(l), i * 6, 3);
    tree.writeUIntBE(value(r), i * 6 + 3, 3);
  });
  const metadata = encode({
    binary_format_major_version: { u16: 2 },
    binary_format_minor_version: { u16: 0 },
    build_epoch: { u64: Math.floor(Date.now() / 1000) },
    database_type: databaseType,
    description: { en: 'Test geo database written by stepup' },
    ip_version: { u16: 6 },
    languages: ['en'],
    node_count: { u32: count },
    record_size: { u16: 24 },
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...data, Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'), metadata]);
}
