/** Parses the policy duration form `1h30m`, `5m`, `300s` into seconds. */
export function parseDurationSeconds(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!m || text === '') throw new Error(`"${text}" is not a duration like 5m, 1h30m or 300s`);
  const [, h = '0', min = '0', s = '0'] = m;
  return Number(h) * 3600 + Number(min) * 60 + Number(s);
}
