/**
 * Training progress in the compressor's style (tools/compress/cli.ts): a cli-progress bar on a terminal with
 * the running loss and the time left, plain lines every tenth of the way otherwise, nothing when quiet.
 */
import cliProgress from 'cli-progress';

/** Where a training loop reports. */
export interface TrainProgress {
  start(label: string, steps: number): void;
  step(loss: number): void;
  stop(): void;
}

/** Reports nothing (tests, library callers). */
export const quietTraining: TrainProgress = { start() {}, step() {}, stop() {} };

/** A bar on stderr when it is a terminal, else a line per tenth of the steps. */
export function trainingBar(log: (line: string) => void = (l) => console.error(l)): TrainProgress {
  let label = '';
  let total = 0;
  let done = 0;
  let loss = 0;
  const tty = process.stderr.isTTY;
  const bar = new cliProgress.SingleBar({ format: '{label} [{bar}] {value}/{total} loss {loss} | {eta_formatted} left', stream: process.stderr, clearOnComplete: false, etaBuffer: 50 }, cliProgress.Presets.shades_classic);
  let started = 0;
  return {
    start(l, steps) {
      [label, total, done, loss, started] = [l, steps, 0, 0, performance.now()];
      if (tty) bar.start(steps, 0, { label, loss: '-' });
    },
    step(value) {
      done++;
      loss = done === 1 ? value : 0.95 * loss + 0.05 * value;
      if (tty) bar.increment(1, { loss: loss.toFixed(4) });
      else if (done === total || done % Math.max(1, Math.round(total / 10)) === 0) {
        const left = ((performance.now() - started) / done) * (total - done) / 1000;
        log(`  ${label} ${done}/${total} loss ${loss.toFixed(4)}, ${left.toFixed(0)} s left`);
      }
    },
    stop() { if (tty) bar.stop(); },
  };
}
