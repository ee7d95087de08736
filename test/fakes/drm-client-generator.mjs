#!/usr/bin/env node
// A generator that is an amdgpu DRM client in a fake /proc ($GENWATT_PROC): it adds its own pid there
// with an open render node (fd 5 -> /dev/dri/renderD128) whose fdinfo says what the kernel prints for
// an amdgpu client (Documentation/gpu/drm-usage-stats.rst keys), holding VRAM_MIB of VRAM on PDEV,
// then writes COUNT PNGs, one every 500 ms (a process look lands in each image: they come 0.25–1 s apart). Usage: drm-client-generator.mjs OUTDIR PDEV VRAM_MIB COUNT
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pngFile } from '../../fixtures/png-writer.mjs';

const [out, pdev, vramMib, count] = process.argv.slice(2);
const me = join(process.env.GENWATT_PROC, String(process.pid));
mkdirSync(join(me, 'fd'), { recursive: true });
mkdirSync(join(me, 'fdinfo'), { recursive: true });
symlinkSync('/dev/dri/renderD128', join(me, 'fd', '5'));
writeFileSync(
  join(me, 'fdinfo', '5'),
  `pos:\t0\nflags:\t02100002\nmnt_id:\t26\nino:\t1234\ndrm-driver:\tamdgpu\ndrm-client-id:\t17\ndrm-pdev:\t${pdev}\npasid:\t32790\ndrm-memory-vram:\t${Number(vramMib) * 1024} KiB\ndrm-memory-gtt:\t2048 KiB\ndrm-memory-cpu:\t0 KiB\ndrm-engine-gfx:\t1234567 ns\n`,
);
mkdirSync(out, { recursive: true });
let i = 0;
const tick = () => {
  const f = join(out, `${String(i).padStart(5, '0')}.png`);
  writeFileSync(`${f}.tmp`, pngFile(64, 48, [['parameters', `drm client image ${i}`]], i));
  renameSync(`${f}.tmp`, f);
  if (++i < Number(count)) setTimeout(tick, 500);
};
setTimeout(tick, 600);
