// The client address signals are computed for: Envoy's `source` address, or,
// when trusted proxies sit in front of Envoy, the address the outermost
// trusted proxy saw, read from x-forwarded-for.

/**
 * With `trustedHops` = N > 0, each of N proxies in front of Envoy appended
 * the address it received the request from, so the N-th entry from the right
 * of x-forwarded-for is the client; entries further left were written by the
 * client itself and are ignored. When the header has fewer than N entries the
 * request did not come through the proxies, and the source address is used.
 */
export function clientAddress(sourceAddress: string, headers: Readonly<Record<string, string>>, trustedHops: number): string {
  if (trustedHops <= 0) return sourceAddress;
  const xff = headers['x-forwarded-for'];
  if (!xff) return sourceAddress;
  const entries = xff.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length < trustedHops) return sourceAddress;
  return entries[entries.length - trustedHops] as string;
}
