// Path and host patterns of `match`, compiled once into regular expressions.

const SPECIALS = /[.+?^${}()|[\]\\]/g;

/** `*` matches within one path segment, `**` matches across segments. */
export function compilePathGlob(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*' && glob[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (ch === '*') {
      source += '[^/]*';
    } else {
      source += ch.replace(SPECIALS, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

/** Exact host, or `*.example.com` for any subdomain; compared without port, case-insensitively. */
export function compileHostPattern(pattern: string): (host: string) => boolean {
  const p = pattern.toLowerCase();
  if (p.startsWith('*.')) {
    const suffix = p.slice(1);
    return (host) => host.endsWith(suffix) && host.length > suffix.length;
  }
  return (host) => host === p;
}

/** Lower-cases a Host/:authority value and drops its port. */
export function hostWithoutPort(authority: string): string {
  const a = authority.toLowerCase();
  if (a.startsWith('[')) return a.slice(0, a.indexOf(']') + 1);
  const colon = a.lastIndexOf(':');
  return colon >= 0 ? a.slice(0, colon) : a;
}
