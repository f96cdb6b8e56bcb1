/**
 * The one shape of a latency profile everywhere in the loop: a run of `items` items costs fixed_ms +
 * per_item_ms x items. The manifest's p95 fit, the selector's variant facts, the estimator's prior and
 * estimate, the fleet's published fits (Tail Worker) and the measuring tools' fit are all this line, so a
 * prediction is computed the same way wherever it is made.
 */

/** A latency line (ms): fixed cost per run plus cost per item. */
export interface LatencyLine {
  fixed_ms: number;
  per_item_ms: number;
}

/** The line's prediction for a run of `items` items (ms). */
export function at(line: LatencyLine, items: number): number {
  return line.fixed_ms + line.per_item_ms * items;
}

/** The line on a machine `factor` times as slow (a speed factor), or in other units. */
export function scaled(line: LatencyLine, factor: number): LatencyLine {
  return { fixed_ms: line.fixed_ms * factor, per_item_ms: line.per_item_ms * factor };
}
