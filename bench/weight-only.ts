/**
 * Weight-only INT8 (int8w) side by side with fp32 and int8 for the models it was made for, PaddleOCR cls and
 * rec (whose int8 keeps its convolutions fp32, since ConvInteger is slow in WASM): size and fidelity from the
 * committed manifests; load time, WASM memory and run time re-measured here in onnxruntime-web, each variant
 * in a fresh process, in alternating rounds so machine load falls on all alike. int8w is also run without the
 * load option, to show what the option buys (without it DequantizeLinear runs on every call).
 * Part of `npm run bench:compress`; alone: `npx tsx bench/weight-only.ts` (bench/results/int8w.{json,md}).
 */
import { join } from 'node:path';
import { ModelManifest, type VariantLoad } from '../src/registry/manifest.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { runProbe } from '../tools/measure/probe-client.js';
import { isMain } from './lib/entry.js';
import { writeResult } from './lib/results.js';

/** Per model: the latency shape of one item and the batch sizes compared. */
const MODELS: Record<string, { item: number[]; batches: number[] }> = {
  'ppocr-cls': { item: [3, 48, 192], batches: [1, 8] },
  'ppocr-rec': { item: [3, 48, 320], batches: [1, 8] },
};
const RUNS = [
  { label: 'fp32', variant: 'fp32' },
  { label: 'int8', variant: 'int8' },
  { label: 'int8w', variant: 'int8w' },
  { label: 'int8w, no load option', variant: 'int8w', load: {} as VariantLoad },
] as const;
const r2 = (x: number) => Math.round(x * 100) / 100;
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;

export interface WeightOnlyRow {
  model: string;
  run: string;
  size_ratio: number;
  fidelity: string;
  load_ms: number;
  edge_mib: number;
  /** p50 per batch size (lowest of the rounds), and its ratio to fp32 measured alongside. */
  p50_ms: Record<number, number>;
  time_vs_fp32: Record<number, number>;
}

/** Measures every model in MODELS that has an int8w variant; `rounds` alternating rounds per variant. */
export function weightOnlySideBySide(rounds = 3): WeightOnlyRow[] {
  const rows: WeightOnlyRow[] = [];
  for (const [name, spec] of Object.entries(MODELS)) {
    const m = ModelManifest.parse(JSON.parse(readFileSync(join('models', name, 'manifest.json'), 'utf8')));
    if (!m.variants.int8w) continue;
    const input = m.inputs[0]!;
    const shapes = spec.batches.map((b) => ({ items: b, dims: { [input.name]: [b, ...spec.item] } }));
    const seen = new Map<string, { load: number[]; mem: number; p50: Record<number, number[]> }>();
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? [...RUNS].reverse() : RUNS;
      for (const r of order) {
        const v = m.variants[r.variant]!;
        const load = 'load' in r ? r.load : v.load;
        const probe = runProbe({ model: join('models', name, v.file), inputs: m.inputs, batches: spec.batches, shapes, warmup: 3, runs: 12, budgetMsPerPoint: 4000, seq: 1, intHigh: 2, ...(load ? { load } : {}) });
        const s = seen.get(r.label) ?? { load: [], mem: 0, p50: {} };
        s.load.push(probe.load_ms);
        s.mem = probe.edge_memory_bytes;
        for (const p of probe.points) (s.p50[p.items] ??= []).push(p.p50_ms);
        seen.set(r.label, s);
      }
    }
    const fp32 = seen.get('fp32')!;
    for (const r of RUNS) {
      const v = m.variants[r.variant]!;
      const s = seen.get(r.label)!;
      const p50 = Object.fromEntries(spec.batches.map((b) => [b, r2(Math.min(...s.p50[b]!))]));
      rows.push({
        model: name, run: r.label, size_ratio: r2(v.bytes / m.variants.fp32!.bytes),
        fidelity: v.fidelity.top1_agreement !== undefined ? `top-1 ${v.fidelity.top1_agreement}, cosine ${v.fidelity.cosine}` : `cosine ${v.fidelity.cosine}`,
        load_ms: r2(median(s.load)), edge_mib: r2(s.mem / 2 ** 20), p50_ms: p50,
        time_vs_fp32: Object.fromEntries(spec.batches.map((b) => [b, r2(p50[b]! / Math.min(...fp32.p50[b]!))])),
      });
    }
  }
  return rows;
}

/** The markdown table of the rows. */
export function weightOnlyTable(rows: WeightOnlyRow[]): string[] {
  return [
    'Weight-only INT8 (int8w) side by side in onnxruntime-web WASM, 1 thread (fresh process per variant, alternating rounds; p50 is the lowest round):',
    '',
    '| model | variant | size × fp32 | fidelity (manifest) | load ms | edge MiB | p50 ms (batch) | time × fp32 |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.model} | ${r.run} | ${r.size_ratio} | ${r.fidelity} | ${r.load_ms} | ${r.edge_mib} | ${Object.entries(r.p50_ms).map(([b, ms]) => `${ms} (${b})`).join(', ')} | ${Object.entries(r.time_vs_fp32).map(([b, x]) => `${x} (${b})`).join(', ')} |`),
    '',
  ];
}

if (isMain(import.meta.url)) {
  const rows = weightOnlySideBySide();
  const md = weightOnlyTable(rows);
  writeResult('int8w', { rows });
  writeFileSync('bench/results/int8w.md', md.join('\n'));
  console.log(md.join('\n'));
}
