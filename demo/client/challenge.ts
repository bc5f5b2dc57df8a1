// Reads the Bearer challenge of a WWW-Authenticate header (RFC 7235 §4.1,
// RFC 6750 §3) and the step-up parameters RFC 9470 §3 adds to it.
import type { StepUpParams } from './sign-in.js';

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const PARAM = new RegExp(`\\s*(${TOKEN})\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|(${TOKEN}))\\s*(?:,|$)`, 'y');

/** The auth-params of the first Bearer challenge, names lower-cased; undefined when there is none. */
export function parseBearerChallenge(header: string): Record<string, string> | undefined {
  const start = /(?:^|,)\s*Bearer(?:\s+|$)/i.exec(header);
  if (!start) return undefined;
  const params: Record<string, string> = {};
  PARAM.lastIndex = start.index + start[0].length;
  for (let m = PARAM.exec(header); m; m = PARAM.exec(header)) {
    const name = (m[1] as string).toLowerCase();
    params[name] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] as string);
  }
  return params;
}

/** acr_values and max_age of a challenge, as an authorization request takes them. */
export function stepUpParams(challenge: Record<string, string>): StepUpParams {
  const maxAge = challenge.max_age !== undefined && /^\d+$/.test(challenge.max_age) ? Number(challenge.max_age) : undefined;
  return { ...(challenge.acr_values ? { acrValues: challenge.acr_values } : {}), ...(maxAge !== undefined ? { maxAge } : {}) };
}
