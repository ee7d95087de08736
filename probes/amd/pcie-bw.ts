/**
 * amdgpu's `pcie_bw` (drivers/gpu/drm/amd/pm/amdgpu_pm.c, amdgpu_get_pcie_bw): "how much data has been
 * received and sent by the GPU in the last second through PCIe" as `count0 count1 mps` — messages
 * received and sent, and the maximum payload size, so bytes ≈ count × mps (an upper estimate, the
 * kernel's own words). The read itself takes that second in the kernel, so it runs off the event
 * loop (fs/promises, libuv's thread pool), one at a time; APUs answer ENODATA: no figure, asked no more.
 */
import { open } from 'node:fs/promises';
import { finiteNumber } from '../sanity.js';

/** Bytes a second each way, from one `pcie_bw` text; undefined when it is not one. */
export function parsePcieBw(text: string): { rxBytesPerSec: number; txBytesPerSec: number } | undefined {
  const m = /^(\d{1,20}) (\d{1,20}) (\d{1,6})\s*$/.exec(text);
  if (!m) return undefined;
  const [rx, tx, mps] = [finiteNumber(m[1]), finiteNumber(m[2]), finiteNumber(m[3])];
  if (rx === undefined || tx === undefined || !mps) return undefined;
  return { rxBytesPerSec: rx * mps, txBytesPerSec: tx * mps };
}

/** Reads one card's `pcie_bw` in the background; `take` hands over each new answer once. */
export class PcieBwReader {
  private busy = false;
  private done = false;
  private latest: { rxBytesPerSec: number; txBytesPerSec: number } | undefined;

  constructor(private readonly file: string) {}

  /** Starts a read if none is running; returns the answer that came since the last call, if any. */
  take(): { rxBytesPerSec: number; txBytesPerSec: number } | undefined {
    const out = this.latest;
    this.latest = undefined;
    if (!this.busy && !this.done) {
      this.busy = true;
      this.read().then(
        (v) => {
          this.busy = false;
          if (v) this.latest = v;
        },
        () => {
          // ENOENT (no such file), ENODATA (an APU), EPERM, EINVAL: not a figure this card gives
          this.busy = false;
          this.done = true;
        },
      );
    }
    return out;
  }

  private async read(): Promise<{ rxBytesPerSec: number; txBytesPerSec: number } | undefined> {
    const fh = await open(this.file, 'r');
    try {
      const buf = Buffer.alloc(128);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      const v = parsePcieBw(buf.toString('latin1', 0, bytesRead));
      if (!v) this.done = true; // not the kernel's format: stop asking
      return v;
    } finally {
      await fh.close();
    }
  }
}
