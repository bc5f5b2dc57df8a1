import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAVEL_LIMITS, distanceKm, isImpossibleTravel, type Place } from './travel.js';

const PARIS = { lat: 48.8566, lon: 2.3522, country: 'FR' };
const LYON = { lat: 45.764, lon: 4.8357, country: 'FR' };
const NEW_YORK = { lat: 40.7128, lon: -74.006, country: 'US' };
const SYDNEY = { lat: -33.8688, lon: 151.2093, country: 'AU' };
const at = (p: Omit<Place, 'at'>, t: number): Place => ({ ...p, at: t });

describe('distanceKm', () => {
  it.each([
    ['Paris-Paris', PARIS, PARIS, 0, 0.001],
    ['Paris-Lyon', PARIS, LYON, 392, 5],
    ['Paris-New York', PARIS, NEW_YORK, 5837, 20],
    ['Paris-Sydney', PARIS, SYDNEY, 16_960, 60],
    ['antipodes', { lat: 0, lon: 0 }, { lat: 0, lon: 180 }, 20_015, 5],
  ])('%s is about %d km', (_n, a, b, km, tolerance) => {
    expect(Math.abs(distanceKm(a, b) - km)).toBeLessThanOrEqual(tolerance);
  });
});

describe('isImpossibleTravel (1000 km/h, moves under 300 km ignored)', () => {
  const H = 3600;
  it.each([
    ['same place a second later', PARIS, PARIS, 1, false],
    ['Paris to Lyon (392 km) in no time', PARIS, LYON, 0, true],
    ['Paris to Lyon in 1 hour (392 km/h)', PARIS, LYON, H, false],
    ['Paris to New York in 1 hour', PARIS, NEW_YORK, H, true],
    ['Paris to New York in 5 hours (1167 km/h)', PARIS, NEW_YORK, 5 * H, true],
    ['Paris to New York in 6 hours (973 km/h)', PARIS, NEW_YORK, 6 * H, false],
    ['Paris to Sydney in 30 seconds', PARIS, SYDNEY, 30, true],
    ['Paris to Sydney in a day', PARIS, SYDNEY, 24 * H, false],
    ['clock going backwards counts as no time', PARIS, NEW_YORK, -60, true],
  ])('%s', (_n, from, to, seconds, impossible) => {
    expect(isImpossibleTravel(at(from, 1000), at(to, 1000 + seconds))).toBe(impossible);
  });

  it('honours other limits', () => {
    expect(isImpossibleTravel(at(PARIS, 0), at(LYON, 0), { ...DEFAULT_TRAVEL_LIMITS, minDistanceKm: 500 })).toBe(false);
    expect(isImpossibleTravel(at(PARIS, 0), at(NEW_YORK, 6 * 3600), { ...DEFAULT_TRAVEL_LIMITS, maxSpeedKmh: 900 })).toBe(true);
  });
});
