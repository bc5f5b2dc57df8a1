// Impossible travel: two places too far apart for the time between them.
// Distances are great-circle (haversine) on a sphere of the Earth's mean
// radius; coordinates come from the geo database.

/** A place a subject was seen at, and when (seconds since the epoch). */
export interface Place {
  readonly lat: number;
  readonly lon: number;
  readonly at: number;
  readonly country: string;
}

export interface TravelLimits {
  /** Faster than this between two places is impossible (default 1000 km/h, a little above airliner speed). */
  readonly maxSpeedKmh: number;
  /** Moves shorter than this never count: geo databases place one address tens of km apart (default 300 km). */
  readonly minDistanceKm: number;
}

export const DEFAULT_TRAVEL_LIMITS: TravelLimits = Object.freeze({ maxSpeedKmh: 1000, minDistanceKm: 300 });

const EARTH_RADIUS_KM = 6371.0088;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in km. */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * True when going from `from` to `to` needs a speed above the limit. Time
 * going backwards (clock skew between replicas) counts as no time at all.
 */
export function isImpossibleTravel(from: Place, to: Place, limits: TravelLimits = DEFAULT_TRAVEL_LIMITS): boolean {
  const km = distanceKm(from, to);
  if (km < limits.minDistanceKm) return false;
  const hours = Math.max(0, to.at - from.at) / 3600;
  return km > limits.maxSpeedKmh * hours;
}
