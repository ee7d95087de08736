#!/usr/bin/env node
// Where a V8 CPU profile (node --cpu-prof) spent its time: self time per function and per file,
// busy time against the profile's span, and the total (self and below) of each function.
// `node bench/gpu/prof-top.mjs FILE.cpuprofile [N] [FROM_S] [TO_S]`: FROM/TO keep only the samples
// that many seconds after the profile's start (the steady part, without start-up and the end).
import { readFileSync } from 'node:fs';

const prof = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const top = Number(process.argv[3] ?? 25);
const fromUs = Number(process.argv[4] ?? 0) * 1e6;
const toUs = process.argv[5] === undefined ? Infinity : Number(process.argv[5]) * 1e6;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map();
let atUs = 0;
for (let i = 0; i < prof.samples.length; i++) {
  atUs += prof.timeDeltas[i] ?? 0;
  if (atUs < fromUs || atUs > toUs) continue;
  selfUs.set(prof.samples[i], (selfUs.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
}
const spanS = (Math.min(toUs, prof.endTime - prof.startTime) - fromUs) / 1e6;
const fn = new Map();
const file = new Map();
let idle = 0;
for (const [id, us] of selfUs) {
  const cf = byId.get(id).callFrame;
  if (cf.functionName === '(idle)') {
    idle += us;
    continue;
  }
  const short = (cf.url || '').replace(/^.*\/(node_modules\/[^/]+|dist)\//, '$1/');
  const k = `${cf.functionName || '(anon)'} ${short}:${cf.lineNumber + 1}`;
  fn.set(k, (fn.get(k) ?? 0) + us);
  file.set(short || cf.functionName, (file.get(short || cf.functionName) ?? 0) + us);
}
const busy = [...fn.values()].reduce((a, b) => a + b, 0) / 1e6;
console.log(`span ${spanS.toFixed(1)} s, busy ${busy.toFixed(2)} s (${(busy / spanS).toFixed(4)} s/s), idle ${(idle / 1e6).toFixed(1)} s`);
const show = (m, title) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${(us / 1000).toFixed(0).padStart(7)} ms ${((us / 1e6 / spanS) * 1000).toFixed(2).padStart(6)} ms/s  ${k}`);
};
// Total time: each sample counts once for every distinct function on its stack.
const total = new Map();
for (const [id, us] of selfUs) {
  if (byId.get(id).callFrame.functionName === '(idle)') continue;
  const seen = new Set();
  for (let x = id; x !== undefined; x = parent.get(x)) {
    const cf = byId.get(x).callFrame;
    const short = (cf.url || '').replace(/^.*\/(node_modules\/[^/]+|dist)\//, '$1/');
    const k = `${cf.functionName || '(anon)'} ${short}:${cf.lineNumber + 1}`;
    if (seen.has(k) || cf.functionName === '(root)') continue;
    seen.add(k);
    total.set(k, (total.get(k) ?? 0) + us);
  }
}
show(file, 'self time by file');
show(fn, 'self time by function');
show(total, 'total time (self and below) by function');
