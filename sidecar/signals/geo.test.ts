import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildMmdb } from '../../harness/mmdb-writer.js';
import { tempDir } from '../../harness/processes.js';
import { createGeoLocator } from './geo.js';

const db = `${tempDir('geo')}/test.mmdb`;
writeFileSync(
  db,
  buildMmdb([
    { cidr: '203.0.113.0/24', country: 'FR', lat: 48.8566, lon: 2.3522 },
    { cidr: '198.51.100.0/25', country: 'AU', lat: -33.8688, lon: 151.2093 },
    { cidr: '2001:db8:1::/48', country: 'JP', lat: 35.6762, lon: 139.6503 },
  ]),
);

describe('geo from a MaxMind-format database', () => {
  const geo = createGeoLocator({ dbPath: db });
  it.each([
    ['203.0.113.7', { country: 'FR', lat: 48.8566, lon: 2.3522 }],
    ['203.0.113.255', { country: 'FR', lat: 48.8566, lon: 2.3522 }],
    ['::ffff:203.0.113.7', { country: 'FR', lat: 48.8566, lon: 2.3522 }],
    ['198.51.100.1', { country: 'AU', lat: -33.8688, lon: 151.2093 }],
    ['198.51.100.200', { country: '' }],
    ['2001:db8:1::5', { country: 'JP', lat: 35.6762, lon: 139.6503 }],
    ['2001:db8:2::5', { country: '' }],
    ['192.0.2.1', { country: '' }],
    ['not an address', { country: '' }],
    ['', { country: '' }],
  ])('%s', (address, fix) => {
    expect(geo?.locate(address, {})).toEqual(fix);
  });
});

describe('geo from a trusted edge header', () => {
  it.each([
    ['header only', { header: 'cf-ipcountry' }, '192.0.2.1', 'de', { country: 'DE' }],
    ['header wins for the country, coordinates stay', { dbPath: db, header: 'cf-ipcountry' }, '203.0.113.7', 'DE', { country: 'DE', lat: 48.8566, lon: 2.3522 }],
    ['a malformed header is ignored', { dbPath: db, header: 'cf-ipcountry' }, '203.0.113.7', 'Germany', { country: 'FR', lat: 48.8566, lon: 2.3522 }],
    ['no header sent', { header: 'cf-ipcountry' }, '203.0.113.7', undefined, { country: '' }],
  ])('%s', (_n, opts, address, value, fix) => {
    const headers: Record<string, string> = value === undefined ? {} : { 'cf-ipcountry': value };
    expect(createGeoLocator(opts)?.locate(address, headers)).toEqual(fix);
  });

  it('nothing configured: no locator', () => {
    expect(createGeoLocator({})).toBeUndefined();
  });
});
