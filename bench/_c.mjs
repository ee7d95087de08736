import { PNG } from 'pngjs';
import { pngLumaHistogram } from '../dist/src/images/png-luma.js';
const w=1024; const png = new PNG({ width: w, height: w });
for (let i = 0; i < w * w * 4; i++) png.data[i] = (i & 3) === 3 ? 255 : (((i>>2)%w)/4 + Math.random() * 40) | 0;
const buf = PNG.sync.write(png, { colorType: 2, filterType: Number(process.argv[2] ?? -1) });
console.log('size', buf.length);
for (let k=0;k<11;k++){ const t=performance.now(); pngLumaHistogram(buf, 40e6); console.log(k, (performance.now()-t).toFixed(1)); }
