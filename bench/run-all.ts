/**
 * `npm run bench`: every question in one run, one after another (each starts and stops its own stack so
 * they never compete for the 2 cores), then the report. About 9-11 minutes on 2 cores (the drift step
 * about 3), plus 8-12 for the OCR step (three variants' det, rec and cls over 278 rendered lines).
 */
import { runBatching } from './batching.js';
import { runBinary } from './binary.js';
import { runColdstart } from './coldstart.js';
import { runDevice } from './device.js';
import { runEntry } from './lib/entry.js';
import { stopAll } from './lib/stack.js';
import { runLoad } from './load.js';
import { runOverhead } from './overhead.js';
import { writeReport } from './report.js';
import { runRouting } from './routing.js';
import { runVariants } from './variants.js';
import { runFleetBench } from './fleet/run.js';
import { runOcrBench } from './ocr/run.js';
import { runDrift } from './drift.js';

const steps: [string, () => Promise<unknown>][] = [
  ['overhead', () => runOverhead()],
  ['variants', () => runVariants()],
  ['load', () => runLoad()],
  ['batching', () => runBatching()],
  ['coldstart', () => runColdstart()],
  ['routing', () => runRouting()],
  ['binary', () => runBinary()],
  ['device', () => runDevice()],
  ['fleet', () => runFleetBench()],
  ['drift', () => runDrift()],
  ['ocr', () => runOcrBench()],
];

await runEntry('bench', async () => {
  const failed: string[] = [];
  for (const [name, step] of steps) {
    const t0 = performance.now();
    console.log(`\n#### ${name}`);
    try {
      await step();
    } catch (e) {
      failed.push(name);
      console.error(`${name} failed: ${(e as Error).stack ?? e}`);
    } finally {
      await stopAll();
    }
    console.log(`#### ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  console.log(`\nreport: ${writeReport().join(', ')}`);
  if (failed.length) throw new Error(`failed: ${failed.join(', ')}`);
});
