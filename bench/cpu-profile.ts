// Reads a V8 .cpuprofile (node --cpu-prof) and sums, over the samples of a
// time window, self time per function, and self and inclusive time per area
// (a package, a Node core module, the project's own code, GC).
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  /** Share of the busy (non-idle) time in the window, 0..100. */
  pct: number;
  ms: number;
}

export interface AreaTime {
  name: string;
  /** Time in the area's own frames, and in stacks that pass through it (it and what it calls), 0..100. */
  selfPct: number;
  inclusivePct: number;
}

export interface ProfileSummary {
  /** Sampled time kept (the window), ms, and the part of it that was not idle. */
  windowMs: number;
  busyMs: number;
  topFunctions: SelfTime[];
  /** The project's own functions by inclusive time: where a Check's time goes, phase by phase. */
  ownInclusive: SelfTime[];
  areas: AreaTime[];
}

/** A wall-clock window, mapped onto the profile by the time the process was told to stop. */
export interface ProfileWindow {
  startMs: number;
  endMs: number;
  /** Wall time the profiled process was stopped (its profile ends then). */
  stopMs: number;
}

const GENERATED_CODEC = /\$(decode|encode|toObject|fromObject|verify)$/;

/** Where a frame's code lives, in words a reader of the profile can act on. */
export function areaOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName.startsWith('(')) return functionName;
    if (GENERATED_CODEC.test(functionName)) return 'protobufjs (generated codecs)';
    return '(V8 and Node natives)';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/').slice(0, 2).join('/');
  const own = /\/dist\/(sidecar|common|harness|bench)\//.exec(url);
  if (own) return `stepup ${own[1]}/`;
  return url;
}

function isOwn(url: string): boolean {
  return /\/dist\/(sidecar|common)\//.test(url);
}

function frameName(frame: ProfileNode['callFrame']): string {
  const where = frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/').replace(/^file:\/\//, '');
  return `${frame.functionName || '(anonymous)'}${where ? ` ${where}:${frame.lineNumber + 1}` : ''}`;
}

function ranked(map: Map<string, number>, sampleMs: number, busy: number, n: number): SelfTime[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, samples]) => ({ name, ms: Math.round(samples * sampleMs), pct: Math.round((samples / busy) * 1000) / 10 }));
}

function add(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Indices of the samples inside the window (all samples when there is none). */
function samplesIn(profile: CpuProfile, window?: ProfileWindow): number[] {
  const kept: number[] = [];
  let t = profile.startTime;
  profile.samples.forEach((_, i) => {
    t += profile.timeDeltas[i] ?? 0;
    const wall = window ? window.stopMs + (t - profile.endTime) / 1000 : 0;
    if (!window || (wall >= window.startMs && wall <= window.endMs)) kept.push(i);
  });
  return kept;
}

export function summarizeProfile(file: string, window?: ProfileWindow, topN = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const kept = samplesIn(profile, window);
  const sampleMs = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  const self = new Map<string, number>();
  const areaSelf = new Map<string, number>();
  const areaIncl = new Map<string, number>();
  const ownIncl = new Map<string, number>();
  let busy = 0;
  for (const i of kept) {
    const leaf = byId.get(profile.samples[i] as number);
    if (!leaf || leaf.callFrame.functionName === '(idle)') continue;
    busy++;
    add(self, frameName(leaf.callFrame));
    add(areaSelf, areaOf(leaf.callFrame.url, leaf.callFrame.functionName));
    const areas = new Set<string>();
    const own = new Set<string>();
    for (let n: ProfileNode | undefined = leaf; n; n = byId.get(parent.get(n.id) ?? -1)) {
      areas.add(areaOf(n.callFrame.url, n.callFrame.functionName));
      if (isOwn(n.callFrame.url)) own.add(frameName(n.callFrame));
    }
    for (const a of areas) add(areaIncl, a);
    for (const o of own) add(ownIncl, o);
  }
  const areas = [...areaSelf.keys(), ...areaIncl.keys()]
    .filter((a, i, all) => all.indexOf(a) === i)
    .map((name) => ({ name, selfPct: Math.round(((areaSelf.get(name) ?? 0) / busy) * 1000) / 10, inclusivePct: Math.round(((areaIncl.get(name) ?? 0) / busy) * 1000) / 10 }))
    .filter((a) => a.selfPct >= 0.5)
    .sort((a, b) => b.selfPct - a.selfPct);
  return {
    windowMs: Math.round(kept.length * sampleMs),
    busyMs: Math.round(busy * sampleMs),
    topFunctions: ranked(self, sampleMs, busy, topN),
    ownInclusive: ranked(ownIncl, sampleMs, busy, 15),
    areas,
  };
}
