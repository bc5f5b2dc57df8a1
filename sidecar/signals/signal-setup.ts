// What the signal collector needs from a policy set, built once when the set
// is loaded (never on the request path): the IP list table (inline blocks and
// list files read now, so a missing or bad file rejects the load), where
// device ids come from, and which requests a single-use rule matches.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseCidr, parseIp, type IpRange } from '../../common/net/ip-address.js';
import { parseIpListText } from '../../common/net/ip-list-text.js';
import type { CompiledLevel, MatchableRequest } from '../../common/policy/compile.js';
import type { PolicySet } from '../../common/policy/policy-set.js';
import type { IpListSpec } from '../../common/policy/types.js';
import { buildIpRangeSet, type ListEntry } from './ip/ip-range-set.js';

export interface DeviceSource {
  /** Lower-case header name. */
  readonly header: string;
  readonly cookie?: string;
  readonly trustLevel: CompiledLevel;
}

export interface SignalSetup {
  /** Names of the lists holding the address, and whether one of them is flagged. */
  lookupAddress(address: string): { readonly lists: readonly string[]; readonly flagged: boolean };
  /** Where device ids are read from, one entry per policy that configures devices. */
  readonly devices: readonly DeviceSource[];
  /** True when a singleUse rule of some policy matches the request (method, host, path). */
  singleUseMatches(request: MatchableRequest): boolean;
}

const NOT_LISTED = Object.freeze({ lists: Object.freeze([]) as readonly string[], flagged: false });
const MAX_DEVICE_ID = 512;

/** Blocks of a list file: one address or CIDR block per line, `#` starts a comment. */
export function parseListFile(text: string, file: string): IpRange[] {
  return parseIpListText(text, file).map((line) => line.range);
}

function listRanges(list: IpListSpec, policy: string, baseDir: string, read: (path: string) => string): IpRange[] {
  if (list.cidrs) return list.cidrs.map((c) => parseCidr(c) as IpRange);
  if (list.file) {
    const path = isAbsolute(list.file) ? list.file : resolve(baseDir, list.file);
    let text: string;
    try {
      text = read(path);
    } catch (err) {
      throw new Error(`${policy}: ipLists ${list.name}: cannot read ${path}: ${(err as Error).message}`);
    }
    return parseListFile(text, path);
  }
  throw new Error(`${policy}: ipLists ${list.name}: configMapRef lists are resolved by the controller; in standalone mode give cidrs or file`);
}

/**
 * Builds the setup of a policy set. Lists with the same name in several
 * policies are merged (flagged when any says so). Throws when a list cannot
 * be read.
 */
export function buildSignalSetup(set: PolicySet, baseDir: string, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): SignalSetup {
  const names: string[] = [];
  const flagged = new Set<string>();
  const entries: ListEntry[] = [];
  for (const policy of set.policies) {
    for (const list of policy.ipLists) {
      let index = names.indexOf(list.name);
      if (index < 0) index = names.push(list.name) - 1;
      if (list.flagged) flagged.add(list.name);
      for (const range of listRanges(list, policy.id, baseDir, read)) entries.push({ range, list: index });
    }
  }
  const table = entries.length > 0 ? buildIpRangeSet(names, entries) : undefined;
  const singleUse = set.policies.flatMap((p) => p.rules.filter((r) => r.singleUse));
  return Object.freeze({
    lookupAddress(address: string) {
      const words = table ? parseIp(address) : undefined;
      if (!table || !words) return NOT_LISTED;
      const lists = table.lookup(words);
      return lists.length === 0 ? NOT_LISTED : { lists, flagged: lists.some((l) => flagged.has(l)) };
    },
    devices: set.policies.flatMap((p) => (p.devices ? [p.devices] : [])),
    singleUseMatches: (request: MatchableRequest) => singleUse.some((r) => r.matches(request)),
  });
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/** The raw device id of a request (header first, then cookie, per device source), or undefined. */
export function readDeviceId(sources: readonly DeviceSource[], headers: Readonly<Record<string, string>>): string | undefined {
  const all = sources.length > 0 ? sources : [{ header: 'x-device-id' }];
  for (const s of all) {
    const value = headers[s.header] ?? ('cookie' in s && s.cookie ? cookieValue(headers.cookie, s.cookie) : undefined);
    const id = value?.trim();
    if (id) return id.slice(0, MAX_DEVICE_ID);
  }
  return undefined;
}
