/**
 * How the compression pipeline reports long steps: the CLI draws bars, library callers may log or ignore.
 */

/** Progress of long steps (a labelled step with an optional count, ticks within it, and free lines). */
export interface Progress {
  step(label: string, total?: number): void;
  tick(detail?: string): void;
  log(line: string): void;
}

/** Reports nothing: the default for library callers. */
export const silent: Progress = { step() {}, tick() {}, log() {} };
