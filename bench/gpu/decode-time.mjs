// Where the blank check's CPU goes on real generated images: for each PNG in DIR, the file read, the
// native inflate alone, and png-luma's whole histogram (inflate + unfilter + luminance), each the
// median of 5, then the medians over the folder. Usage: node bench/gpu/decode-time.mjs DIR
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { pngImageData, pngLumaHistogram } from '../../dist/src/images/png-luma.js';

const dir = process.argv[2];
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const time = (f) => {
  const t = performance.now();
  f();
  return performance.now() - t;
};
const rows = [];
for (const name of readdirSync(dir)
  .filter((n) => n.endsWith('.png'))
  .sort()) {
  const p = join(dir, name);
  const buf = readFileSync(p);
  const z = pngImageData(buf);
  const r = [],
    inf = [],
    all = [];
  for (let k = 0; k < 5; k++) {
    r.push(time(() => readFileSync(p)));
    inf.push(time(() => inflateSync(z)));
    all.push(time(() => pngLumaHistogram(buf, 40e6)));
  }
  rows.push({ name, bytes: buf.length, filters: filterCounts(buf, inflateSync(z)), read: med(r), inflate: med(inf), all: med(all) });
}
function filterCounts(buf, raw) {
  const w = buf.readUInt32BE(16),
    h = buf.readUInt32BE(20),
    ch = { 0: 1, 2: 3, 4: 2, 6: 4 }[buf[25]];
  const c = [0, 0, 0, 0, 0];
  for (let y = 0; y < h; y++) c[raw[y * (w * ch + 1)]]++;
  return c.join('/');
}
for (const x of rows)
  console.log(
    `${x.name} ${(x.bytes / 1e6).toFixed(2)} MB filters(none/sub/up/avg/paeth) ${x.filters}: read ${x.read.toFixed(1)} ms, inflate ${x.inflate.toFixed(1)} ms, png-luma ${x.all.toFixed(1)} ms`,
  );
console.log(
  `median of ${rows.length}: read ${med(rows.map((x) => x.read)).toFixed(1)} ms, inflate ${med(rows.map((x) => x.inflate)).toFixed(1)} ms, png-luma (inflate + rows) ${med(rows.map((x) => x.all)).toFixed(1)} ms`,
);
