/**
 * Pruned and distilled variants of the bundled models next to their fp32 base (issue 23), for
 * `npm run bench:compress`: onnxruntime-web p50 at batch 1 and 8 re-measured now, every variant and its base
 * in one process, interleaved in rounds (tools/prune/measure.ts), so machine load lands on all alike; sizes,
 * multiply-adds and held-out accuracy from the committed manifests (measured by the compressor).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelManifest, REFERENCE_VARIANT } from '../src/registry/manifest.js';
import { latency } from '../tools/prune/measure.js';

export interface StructuredRow {
  model: string;
  variant: string;
  made: string;
  macs_ratio: number;
  size_ratio: number;
  accuracy?: number;
  accuracy_delta_pt?: number;
  top1_agreement?: number;
  p50_ms: { 1: number; 8: number };
  speedup: { 1: number; 8: number };
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const BATCHES = [1, 8] as const;

/** Models in models/ with a pruned or distilled variant whose files are present. */
function structuredModels(dir = 'models'): ModelManifest[] {
  return readdirSync(dir).filter((d) => existsSync(join(dir, d, 'manifest.json')))
    .map((d) => ModelManifest.parse(JSON.parse(readFileSync(join(dir, d, 'manifest.json'), 'utf8'))))
    .filter((m) => Object.values(m.variants).some((v) => v.made?.pruning || v.made?.student));
}

/** The side-by-side rows; `runs` timed runs per variant and batch size. */
export function structuredSideBySide(runs = 300, dir = 'models'): StructuredRow[] {
  return structuredModels(dir).flatMap((m) => {
    const ref = m.variants[REFERENCE_VARIANT]!;
    const names = Object.keys(m.variants).filter((k) => k === REFERENCE_VARIANT || m.variants[k]!.made?.pruning || m.variants[k]!.made?.student);
    const input = m.inputs[0]!;
    const shape = ((m.provenance['recipe'] as { structured?: { shape?: number[] } } | undefined)?.structured?.shape ?? input.shape).slice(1);
    const p50 = latency(names.map((n) => ({ name: n, path: join(dir, m.name, m.variants[n]!.file) })), input.name, shape, [...BATCHES], runs);
    return names.map((n) => {
      const v = m.variants[n]!;
      const f = v.made;
      const made = !f ? 'reference' : f.student ? `student ${f.student}` : `pruned ${f.pruning!.ratio} (${f.pruning!.removed} units)${f.precision && f.precision !== 'fp32' ? ` + ${f.precision}` : ''}`;
      return {
        model: m.name, variant: n, made, macs_ratio: f?.macs_ratio ?? 1, size_ratio: r2(v.bytes / ref.bytes),
        ...(v.fidelity.accuracy !== undefined ? { accuracy: v.fidelity.accuracy, accuracy_delta_pt: Math.round((v.fidelity.accuracy - ref.fidelity.accuracy!) * 1000) / 10 } : {}),
        ...(v.fidelity.top1_agreement !== undefined ? { top1_agreement: v.fidelity.top1_agreement } : {}),
        p50_ms: { 1: p50[n]![1]!, 8: p50[n]![8]! },
        speedup: { 1: r2(p50[REFERENCE_VARIANT]![1]! / p50[n]![1]!), 8: r2(p50[REFERENCE_VARIANT]![8]! / p50[n]![8]!) },
      };
    });
  });
}

/** Issue 23's targets for mnist-wide, checked on the rows (pruned ≥ 1.8x within 0.5 pt, student ≥ 5x within 1 pt, pruned + int8 faster still within 0.7 pt). */
export function structuredChecks(rows: StructuredRow[]): { target: string; value: string; met: boolean }[] {
  const wide = rows.filter((r) => r.model === 'mnist-wide');
  const pruned = wide.find((r) => /^pruned \S+ \(\d+ units\)$/.test(r.made));
  const int8 = wide.find((r) => r.made.endsWith('+ int8'));
  const student = wide.find((r) => r.made.startsWith('student'));
  const drop = (r: StructuredRow) => -(r.accuracy_delta_pt ?? -Infinity);
  const both = (r: StructuredRow, x: number) => r.speedup[1] >= x && r.speedup[8] >= x;
  return [
    ...(pruned ? [{ target: 'mnist-wide pruned ≥ 1.8× faster than fp32 at batch 1 and 8, accuracy within 0.5 pt', value: `${pruned.speedup[1]}× / ${pruned.speedup[8]}×, ${pruned.accuracy_delta_pt} pt`, met: both(pruned, 1.8) && drop(pruned) <= 0.5 }] : []),
    ...(student ? [{ target: 'mnist-wide distilled ≥ 5× faster at batch 1 and 8, within 1.0 pt', value: `${student.speedup[1]}× / ${student.speedup[8]}×, ${student.accuracy_delta_pt} pt`, met: both(student, 5) && drop(student) <= 1 }] : []),
    ...(int8 && pruned ? [
      { target: 'mnist-wide pruned + int8 faster than pruned at batch 1', value: `${int8.p50_ms[1]} vs ${pruned.p50_ms[1]} ms`, met: int8.p50_ms[1] < pruned.p50_ms[1] },
      { target: 'mnist-wide pruned + int8 faster than pruned at batch 8, within 0.7 pt', value: `${int8.p50_ms[8]} vs ${pruned.p50_ms[8]} ms, ${int8.accuracy_delta_pt} pt`, met: int8.p50_ms[8] < pruned.p50_ms[8] && drop(int8) <= 0.7 },
    ] : []),
  ];
}

/** Markdown lines for bench/results/compress.md. */
export function structuredTable(rows: StructuredRow[]): string[] {
  if (!rows.length) return ['Pruned and distilled variants: none bundled (`npm run models` makes them for mnist-wide).', ''];
  return [
    'Pruned and distilled variants next to fp32, p50 re-measured side by side (interleaved, one process), accuracy on held-out data from the manifests:',
    '',
    '| model | variant | made | multiply-adds × fp32 | size × fp32 | accuracy (Δ pt) | top-1 agreement | p50 b1 / b8 (ms) | speed-up b1 / b8 |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.model} | ${r.variant} | ${r.made} | ${r.macs_ratio} | ${r.size_ratio} | ${r.accuracy ?? '-'} (${r.accuracy_delta_pt ?? '-'}) | ${r.top1_agreement ?? '-'} | ${r.p50_ms[1]} / ${r.p50_ms[8]} | ${r.speedup[1]}× / ${r.speedup[8]}× |`),
    '',
  ];
}

/**
 * `npx tsx bench/structured.ts --files base.onnx variant.onnx ... --input x --sample 3,48,192 [--runs 400]`: the
 * same side-by-side p50 for files outside models/ (a `npm run prune` output next to its base), first file the base.
 */
function filesSideBySide(argv: string[]): void {
  const at = (flag: string) => argv.indexOf(flag);
  const files = argv.slice(at('--files') + 1).filter((_, i, a) => !a.slice(0, i + 1).some((x) => x.startsWith('--')));
  const input = argv[at('--input') + 1]!;
  const sample = argv[at('--sample') + 1]!.split(',').map(Number);
  const runs = at('--runs') > 0 ? Number(argv[at('--runs') + 1]) : 400;
  const p50 = latency(files.map((f, i) => ({ name: i === 0 ? 'base' : f, path: f })), input, sample, [...BATCHES], runs);
  for (const f of files.slice(1)) console.log(`${f}: p50 b1 ${p50[f]![1]} ms / b8 ${p50[f]![8]} ms against the base's ${p50['base']![1]} / ${p50['base']![8]} ms: ${r2(p50['base']![1]! / p50[f]![1]!)}x / ${r2(p50['base']![8]! / p50[f]![8]!)}x`);
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes('--files')) filesSideBySide(process.argv.slice(2));
else if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = structuredSideBySide();
  console.log(structuredTable(rows).join('\n'));
  for (const c of structuredChecks(rows)) console.log(`${c.met ? 'met' : 'MISSED'}: ${c.target}: ${c.value}`);
}
