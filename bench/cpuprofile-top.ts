// Summarises a V8 .cpuprofile (from `bench/subscriptions.ts --cpu-prof`): where the server spent its
// CPU, by package or project file (self time) and by function (self and total time).
//
//   node --import @swc-node/register/esm-register bench/cpuprofile-top.ts .data/bench/profiles/CPU.….cpuprofile [rows] [last-seconds]
//
// With last-seconds, only the profile's final seconds count (e.g. the run, without start-up).
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const [file, rowsArg, lastArg] = process.argv.slice(2);
if (!file) throw new Error('usage: cpuprofile-top.ts <file.cpuprofile> [rows]');
const rows = Number(rowsArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
if (lastArg) {
  // Keep the samples of the final seconds only.
  const end = profile.timeDeltas.reduce((a, b) => a + b, 0);
  let t = 0;
  const keep = profile.timeDeltas.map((d) => (t += d) >= end - Number(lastArg) * 1e6);
  profile.samples = profile.samples.filter((_, i) => keep[i]);
  profile.timeDeltas = profile.timeDeltas.filter((_, i) => keep[i]);
}

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const area = (url: string) => {
  if (!url) return '(native/vm)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return url;
  const p = /\/work\/[^/]+\/(.*)$/.exec(url);
  return p ? p[1]! : url;
};
const label = (n: Node) =>
  `${n.callFrame.functionName || '(anonymous)'} ${area(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const idle = (n: Node) => ['(idle)', '(program)', '(garbage collector)'].includes(n.callFrame.functionName);

const areas = new Map<string, number>();
const selfByFn = new Map<string, number>();
const totalByFn = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  const a = idle(n) ? n.callFrame.functionName : area(n.callFrame.url);
  areas.set(a, (areas.get(a) ?? 0) + t);
  selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + t);
  // Total time: each function on the stack once.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!);
    if (seen.has(l)) continue;
    seen.add(l);
    totalByFn.set(l, (totalByFn.get(l) ?? 0) + t);
  }
}
const pct = (t: number) => `${((t / total) * 100).toFixed(1).padStart(5)}%`;
const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`  ${pct(t)}  ${k}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
print('Self time by package / file', areas);
print('Self time by function', selfByFn);
print('Total time by function', totalByFn);
