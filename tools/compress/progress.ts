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

/** A training loop's progress (tools/train) on the compressor's: one step per epoch, ticks with the running loss and the time left. */
export function trainingProgress(p: Progress): { start(label: string, steps: number): void; step(loss: number): void; stop(): void } {
  let [total, done, loss, started] = [0, 0, 0, 0];
  let name = '';
  return {
    start(label, steps) {
      [total, done, loss, started, name] = [steps, 0, 0, performance.now(), label];
      p.step(label, steps);
    },
    step(value) {
      done++;
      loss = done === 1 ? value : 0.95 * loss + 0.05 * value;
      const left = (((performance.now() - started) / done) * (total - done)) / 1000;
      p.tick(`loss ${loss.toFixed(4)}, ${left.toFixed(0)} s left`);
    },
    stop() { p.log(`${name}: loss ${loss.toFixed(4)} after ${((performance.now() - started) / 1000).toFixed(0)} s`); },
  };
}
