// Where the client address is: signals.geo.country, and the coordinates that
// impossible travel needs. From a MaxMind-format database (GeoIP2/GeoLite2
// City or Country, or any .mmdb with the same record shape) read with
// mmdb-lib, and/or from a header a trusted edge sets (e.g. cf-ipcountry). The
// header wins for the country; coordinates only come from the database.
import { readFileSync } from 'node:fs';
import { Reader } from 'mmdb-lib';
import { ipv4Text, parseIp } from '../../common/net/ip-address.js';

export interface GeoFix {
  /** ISO 3166-1 alpha-2 code, or "" when unknown. */
  readonly country: string;
  readonly lat?: number;
  readonly lon?: number;
}

export interface GeoLocator {
  locate(address: string, headers: Readonly<Record<string, string>>): GeoFix;
}

interface GeoRecord {
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
  location?: { latitude?: number; longitude?: number };
}

/** The part of mmdb-lib's Reader used here, typed by the record fields read. */
interface GeoReader {
  get(address: string): GeoRecord | null;
}

const UNKNOWN: GeoFix = Object.freeze({ country: '' });
const COUNTRY = /^[A-Z]{2}$/;

export interface GeoOptions {
  /** Path of a .mmdb file. */
  readonly dbPath?: string;
  /** Lower-case name of a header carrying the country code, set by a trusted edge. */
  readonly header?: string;
}

/** Opens the database once (throws when it cannot be read). Undefined when neither source is configured. */
export function createGeoLocator(opts: GeoOptions): GeoLocator | undefined {
  if (!opts.dbPath && !opts.header) return undefined;
  const reader = opts.dbPath ? (new Reader(readFileSync(opts.dbPath)) as unknown as GeoReader) : undefined;
  const header = opts.header?.toLowerCase();
  return {
    locate(address, headers) {
      const fromDb = reader ? lookup(reader, address) : UNKNOWN;
      const fromHeader = header ? (headers[header] ?? '').trim().toUpperCase() : '';
      return COUNTRY.test(fromHeader) ? { ...fromDb, country: fromHeader } : fromDb;
    },
  };
}

function lookup(reader: GeoReader, address: string): GeoFix {
  const words = parseIp(address);
  if (!words) return UNKNOWN;
  // IPv4-mapped addresses are looked up as IPv4, where databases keep them.
  const text = ipv4Text(words) ?? address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  let record: GeoRecord | null;
  try {
    record = reader.get(text);
  } catch {
    return UNKNOWN;
  }
  if (!record) return UNKNOWN;
  const code = record.country?.iso_code ?? record.registered_country?.iso_code ?? '';
  const lat = record.location?.latitude;
  const lon = record.location?.longitude;
  return {
    country: COUNTRY.test(code) ? code : '',
    ...(typeof lat === 'number' && typeof lon === 'number' ? { lat, lon } : {}),
  };
}
