/**
 * Area charts as text (pure): braille (2×4 dots per cell) in Unicode mode, `#` cells in ASCII mode.
 * Hand-written: blessed-contrib's canvas cannot be imported as published (DESIGN.md § 5) and the
 * maths is twenty lines.
 */

// Dot bit for (column 0..1, row 0..3 from the top) inside one braille cell.
const DOT = [
  [0x01, 0x02, 0x04, 0x40],
  [0x08, 0x10, 0x20, 0x80],
];

export interface ChartOptions {
  /** Rows of text. */
  height: number;
  /** Value at the top of the chart. */
  max: number;
  ascii: boolean;
}

/** Values needed for a chart `columns` cells wide: two per cell for braille, one for ASCII. */
export function chartResolution(columns: number, ascii: boolean): number {
  return ascii ? columns : columns * 2;
}

/**
 * Draws values (left to right, null = gap: an empty column) as filled areas; returns `height`
 * lines, top first, each exactly as wide as the values need.
 */
export function areaChart(values: readonly (number | null)[], o: ChartOptions): string[] {
  const perCell = o.ascii ? 1 : 2;
  const rowsDots = o.ascii ? 1 : 4;
  const cells = Math.ceil(values.length / perCell);
  const levels = values.map((v) =>
    v === null || !Number.isFinite(v) || !(o.max > 0) ? -1 : Math.max(0, Math.min(o.height * rowsDots, Math.round((v / o.max) * o.height * rowsDots))),
  );
  const lines: string[] = [];
  for (let row = 0; row < o.height; row++) {
    // dot rows of this text row, counted from the bottom of the chart
    const bottomDot = (o.height - 1 - row) * rowsDots;
    let line = '';
    for (let c = 0; c < cells; c++) {
      if (o.ascii) {
        const lv = levels[c];
        // a known value always shows at least the bottom cell, so 0 W differs from a gap
        line += lv < 0 ? ' ' : lv > bottomDot || row === o.height - 1 ? '#' : ' ';
        continue;
      }
      let bits = 0;
      for (let dx = 0; dx < 2; dx++) {
        const lv = levels[c * 2 + dx];
        if (lv === undefined || lv < 0) continue;
        for (let dy = 0; dy < 4; dy++) {
          const dotFromBottom = bottomDot + (3 - dy);
          if (dotFromBottom < Math.max(lv, 1)) bits |= DOT[dx][dy];
        }
      }
      line += String.fromCharCode(0x2800 + bits);
    }
    lines.push(line);
  }
  return lines;
}
