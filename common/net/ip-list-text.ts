// The text form of an IP list, shared by list files (standalone sidecar) and
// ConfigMap keys (controller): one address or CIDR block per line, blank
// lines ignored, `#` starts a comment.
import { parseCidr, type IpRange } from './ip-address.js';

export interface IpListLine {
  /** The entry as written (comment and surrounding blanks removed). */
  readonly text: string;
  readonly range: IpRange;
}

/** Parses list text; throws `source:line: ...` on the first bad line. */
export function parseIpListText(text: string, source: string): IpListLine[] {
  const lines: IpListLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const range = parseCidr(line);
    if (!range) throw new Error(`${source}:${i + 1}: "${line.slice(0, 60)}" is not an IPv4 or IPv6 address or CIDR block`);
    lines.push({ text: line, range });
  });
  return lines;
}
