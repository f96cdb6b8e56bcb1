/**
 * The class a row of scores picks: the index of its largest value, the first on a tie. The one rule both
 * fidelity comparators use for top-1 agreement (src/monitor/compare.ts online, tools/measure/per-sample.ts
 * offline), so a production figure and its offline twin cannot differ by how a row is read.
 */

/** Argmax of `x[row * width .. row * width + width - 1]`. */
export function argmaxRow(x: ArrayLike<number>, row: number, width: number): number {
  const at = row * width;
  let best = 0;
  for (let c = 1; c < width; c++) if (x[at + c]! > x[at + best]!) best = c;
  return best;
}
