// The Bearer challenge (RFC 6750 §3) with the step-up parameters of RFC 9470 §3.

/** Parameters of one Bearer challenge, in the order they are written. */
export interface BearerChallenge {
  realm: string;
  error?: 'invalid_token' | 'invalid_request' | 'insufficient_user_authentication';
  errorDescription?: string;
  acrValues?: readonly string[];
  maxAgeSeconds?: number;
}

/**
 * A quoted-string: backslash and double quote are escaped, and anything
 * outside printable ASCII is replaced, so a value can never break the header.
 */
export function quote(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, '?').replace(/[\\"]/g, '\\$&')}"`;
}

/** error_description allows printable ASCII except `"` and `\` (RFC 6750 §3). */
function describe(text: string): string {
  return quote(text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, ' '));
}

export function formatBearerChallenge(c: BearerChallenge): string {
  const params = [`realm=${quote(c.realm)}`];
  if (c.error) params.push(`error=${quote(c.error)}`);
  if (c.errorDescription) params.push(`error_description=${describe(c.errorDescription)}`);
  if (c.acrValues && c.acrValues.length > 0) params.push(`acr_values=${quote(c.acrValues.join(' '))}`);
  if (c.maxAgeSeconds !== undefined) params.push(`max_age=${quote(String(Math.max(0, Math.floor(c.maxAgeSeconds))))}`);
  return `Bearer ${params.join(', ')}`;
}
