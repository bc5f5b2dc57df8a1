// "Mutate a copy, then diff into a JSON patch": the RFC 6902 operations that
// turn `before` into `after`. Objects are compared key by key; arrays element
// by element, with `add .../-` for elements appended at the end; an array
// that got shorter is replaced whole.

export type PatchOp = { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/** A JSON Pointer segment (RFC 6901): ~ and / escaped. */
export function pointerSegment(key: string | number): string {
  return String(key).replaceAll('~', '~0').replaceAll('/', '~1');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => same(a[k], b[k]));
  }
  return false;
}

function diffArrays(before: unknown[], after: unknown[], path: string, ops: PatchOp[]): void {
  if (after.length < before.length) {
    ops.push({ op: 'replace', path, value: after });
    return;
  }
  before.forEach((x, i) => diffInto(x, after[i], `${path}/${i}`, ops));
  for (const v of after.slice(before.length)) ops.push({ op: 'add', path: `${path}/-`, value: v });
}

function diffInto(before: unknown, after: unknown, path: string, ops: PatchOp[]): void {
  if (same(before, after)) return;
  if (Array.isArray(before) && Array.isArray(after)) return diffArrays(before, after, path, ops);
  if (!isObject(before) || !isObject(after)) {
    ops.push({ op: 'replace', path, value: after });
    return;
  }
  for (const key of Object.keys(before)) {
    if (before[key] !== undefined && after[key] === undefined) ops.push({ op: 'remove', path: `${path}/${pointerSegment(key)}` });
  }
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    const p = `${path}/${pointerSegment(key)}`;
    if (before[key] === undefined) ops.push({ op: 'add', path: p, value });
    else diffInto(before[key], value, p, ops);
  }
}

/** The patch from `before` to `after` (both plain JSON values; the root must be an object). */
export function diffToPatch(before: Record<string, unknown>, after: Record<string, unknown>): PatchOp[] {
  const ops: PatchOp[] = [];
  diffInto(before, after, '', ops);
  return ops;
}
