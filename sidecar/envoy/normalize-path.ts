// Path normalization before matching, so `/admin/../admin`, `//admin` or
// `/%61dmin` cannot slip past a rule for `/admin/**`. Envoy is configured to
// normalize too; this is the second line.

const UNRESERVED = /%(?:4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E)/gi;

/** Decodes percent-encoded unreserved characters, merges slashes, resolves dot segments. */
export function normalizePath(raw: string): string {
  const decoded = raw.replace(UNRESERVED, (m) => String.fromCharCode(parseInt(m.slice(1), 16)));
  const out: string[] = [];
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  const trailing = /\/\.{0,2}$/.test(decoded) && out.length > 0 ? '/' : '';
  return `/${out.join('/')}${trailing}`;
}
