/** A ReadingSink that keeps what a probe delivers, for probe tests. */
import type { Gap, Reading } from '../../probes/types.js';

export function collect() {
  const readings: Reading[] = [];
  const gaps: Gap[] = [];
  const notes: string[] = [];
  return {
    readings,
    gaps,
    notes,
    sink: { reading: (r: Reading) => readings.push(r), gap: (g: Gap) => gaps.push(g), note: (_p: string, m: string) => notes.push(m) },
  };
}
