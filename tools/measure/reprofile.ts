/**
 * Re-measures the latency of a model's existing variant files and rewrites only what that measures: each
 * variant's `latency` section and its `edge_memory_bytes` (the same probe run that times the session load
 * reads the WASM heap, so both are from this machine and this runtime). Files, sha256, fidelity, method and
 * provenance stay as committed: a profile taken under outside load (see consistency.ts) is replaced without
 * recompressing the model or regenerating its files. The measuring plan (item counts or image sizes, the
 * shape of one item, token range) is read back from the existing profile, so the new profile is the same kind
 * of profile the compressor or model builder wrote, measured the same way (variants.ts: all variants
 * interleaved in one process).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelManifest, type LatencyProfile, type VariantLoad, type VariantName } from '../../src/registry/manifest.js';
import { sha256 } from '../lib/sha256.js';
import { writeFileAtomic } from '../onnx/io.js';
import { latencyProfile } from './probe-client.js';
import { interleavedLatency, probeVariant, type LatencyPlan } from './variants.js';

/** What may be changed from the profile's own plan (`npm run profiles:measure` options). */
export interface ReprofileOptions {
  /** Timed runs per variant and point; default: the most any point of the current profile has. */
  runs?: number;
  /** Item counts to measure at (batch-size profiles only); default: the current profile's. */
  batches?: number[];
  warmup?: number;
  budgetMs?: number;
  /** INT64 ids are drawn below this; default: the vocabulary in the manifest's provenance. */
  intHigh?: number;
}

/** How a model's variants are re-measured: the latency plan, the files and what goes into the profile. */
export interface ReprofilePlan extends LatencyPlan {
  variants: { name: VariantName; file: string; load?: VariantLoad }[];
  /** Appended to the runtime string, as in the current profile. */
  runtimeNote: string;
  item?: LatencyProfile['item'];
}

const RUNTIME = /^onnxruntime-web \S+ wasm(?: simd)? 1 thread(.*)$/s;
const BY_BATCH = /^, items = batch size \(per item: (.*)\)$/;
const BY_SIZE = /^, batch 1 at image sizes ([\dx, ]+) \(items = input pixels \/ 1024/;
const BY_SEQ = /^, seq (\d+) \(items = sequences of \d+ tokens\)$/;
const FIXED = /^, the model fixes its batch to (\d+)/;

/** The token vocabulary a generated model records (`config.vocab`, or `source.config.vocab` once compressed). */
function vocabulary(provenance: Record<string, unknown>): number | undefined {
  const config = (provenance['config'] ?? (provenance['source'] as Record<string, unknown> | undefined)?.['config']) as { vocab?: unknown } | undefined;
  return typeof config?.vocab === 'number' ? config.vocab : undefined;
}

/**
 * The plan that re-measures `m` as its current profile was measured: fp32's runtime note says how items were
 * made (batch size with each input's per-item dims, image sizes at batch 1, token sequences of a length, or a
 * fixed batch), its points which item counts. Throws when the variants' profiles disagree or the note is not
 * one the measuring tools write.
 */
export function reprofilePlan(m: ModelManifest, o: ReprofileOptions = {}): ReprofilePlan {
  const entries = (Object.entries(m.variants) as [VariantName, NonNullable<ModelManifest['variants']['fp32']>][]).sort(([a], [b]) => Number(b === 'fp32') - Number(a === 'fp32'));
  const ref = entries[0]![1].latency;
  const note = RUNTIME.exec(ref.runtime)?.[1];
  if (note === undefined) throw new Error(`${m.name}: runtime '${ref.runtime}' is not an onnxruntime-web WASM profile; it was measured another way, re-measure it that way`);
  const items = ref.points.map((p) => p.items);
  for (const [name, v] of entries) {
    const same = RUNTIME.exec(v.latency.runtime)?.[1] === note && JSON.stringify(v.latency.item) === JSON.stringify(ref.item) && v.latency.points.map((p) => p.items).join() === items.join();
    if (!same) throw new Error(`${m.name}/${name}: its profile was measured with another plan than ${entries[0]![0]}'s (runtime, item or item counts differ); the variants cannot be interleaved`);
  }
  const runs = o.runs ?? Math.max(...entries.flatMap(([, v]) => v.latency.points.map((p) => p.runs)));
  // The values the compressor fed inputs that take only some (a sample rate): the model fails on others.
  const domains = m.provenance['input_domains'] as LatencyPlan['domains'] | undefined;
  const hasIds = m.inputs.some((i) => i.datatype === 'INT64' && !domains?.[i.name]);
  const intHigh = o.intHigh ?? vocabulary(m.provenance) ?? (hasIds ? undefined : 2);
  if (intHigh === undefined) throw new Error(`${m.name}: INT64 inputs and no vocabulary in provenance; give --int-high`);
  const base = { variants: entries.map(([name, v]) => ({ name, file: v.file, ...(v.load ? { load: v.load } : {}) })), inputs: m.inputs, runtimeNote: note, ...(ref.item ? { item: ref.item } : {}), warmup: o.warmup ?? 3, runs, budgetMsPerPoint: o.budgetMs ?? 4000, intHigh, ...(domains ? { domains } : {}) };
  const onlyBatches = (how: string) => {
    if (o.batches) throw new Error(`${m.name}: profiled ${how}; --batches does not apply`);
  };

  const byBatch = BY_BATCH.exec(note);
  if (byBatch) {
    const perItem = new Map([...byBatch[1]!.matchAll(/(\S+) (\[[\d,]*\])/g)].map((x) => [x[1]!, JSON.parse(x[2]!) as number[]]));
    const missing = m.inputs.filter((i) => !perItem.has(i.name));
    if (missing.length) throw new Error(`${m.name}: the runtime note gives no per-item shape for input '${missing[0]!.name}'`);
    const batches = o.batches ?? items;
    return { ...base, batches, seq: 1, shapes: batches.map((b) => ({ items: b, dims: Object.fromEntries(m.inputs.map((i) => [i.name, [b, ...perItem.get(i.name)!]])) })) };
  }
  const bySize = BY_SIZE.exec(note);
  if (bySize) {
    onlyBatches('by image size');
    const sizes = bySize[1]!.split(', ').map((s) => s.split('x').map(Number) as [number, number]);
    const shapes = sizes.map(([h, w]) => ({
      items: Math.round((h * w) / 1024),
      dims: Object.fromEntries(m.inputs.map((i) => {
        const dims = i.shape.map((d, k) => (k === 0 ? 1 : k === i.shape.length - 2 ? h : k === i.shape.length - 1 ? w : d));
        if (dims.some((d) => d < 0)) throw new Error(`${m.name}: input '${i.name}' ${JSON.stringify(i.shape)} has a dynamic dim besides batch and image size; its size is not in the profile`);
        return [i.name, dims];
      })),
    }));
    if (shapes.map((s) => s.items).join() !== items.join()) throw new Error(`${m.name}: the image sizes in the runtime note do not give the profile's item counts ${items.join(', ')}`);
    return { ...base, batches: items, seq: 1, shapes };
  }
  const bySeq = BY_SEQ.exec(note);
  if (bySeq) return { ...base, batches: o.batches ?? items, seq: Number(bySeq[1]) };
  const fixed = FIXED.exec(note);
  if (fixed) {
    onlyBatches('at the batch the model fixes');
    if (m.inputs.some((i) => i.shape.some((d) => d < 0))) throw new Error(`${m.name}: fixed-batch model with dynamic dims: their sizes are not in the profile`);
    return { ...base, batches: items, seq: 1, shapes: [{ items: items[0]!, dims: Object.fromEntries(m.inputs.map((i) => [i.name, i.shape])) }] };
  }
  throw new Error(`${m.name}: runtime note '${note}' does not say how items were made; re-measure with the command in provenance.command`);
}

/**
 * Re-measures every variant of `models/<name>/` (interleaved, as variants.ts does) and rewrites its
 * manifest's latency sections and edge_memory_bytes; every other byte of the manifest stays. Refuses files
 * whose sha256 is not the manifest's (run `npm run models` first). Returns the manifest written.
 */
export function reprofile(modelsDir: string, name: string, o: ReprofileOptions = {}, log: (line: string) => void = () => {}): ModelManifest {
  const dir = join(modelsDir, name);
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) throw new Error(`${path}: no such manifest`);
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { variants: Record<string, Record<string, unknown>> };
  const manifest = ModelManifest.parse(raw);
  const plan = reprofilePlan(manifest, o);
  for (const v of plan.variants) {
    const file = join(dir, v.file);
    const expected = manifest.variants[v.name]!.sha256;
    if (!existsSync(file) || sha256(readFileSync(file)) !== expected) throw new Error(`${file}: missing or not the file the manifest records (sha256 ${expected.slice(0, 12)}...); run npm run models`);
  }
  log(`${name}: ${plan.variants.map((v) => v.name).join(', ')} at ${plan.batches.join(', ')} items, ${plan.runs} runs per point, interleaved`);
  const probes = plan.variants.map((v) => probeVariant(plan, join(dir, v.file), v.load));
  const points = interleavedLatency(plan, plan.variants.map((v) => ({ name: v.name, model: join(dir, v.file), ...(v.load ? { load: v.load } : {}) })));
  plan.variants.forEach((v, i) => {
    const probe = probes[i]!;
    raw.variants[v.name]!['edge_memory_bytes'] = probe.edge_memory_bytes;
    raw.variants[v.name]!['latency'] = latencyProfile({ ...probe, points: points[v.name]! }, plan.runtimeNote, plan.item);
    log(`${name}/${v.name}: load ${probe.load_ms} ms, p50 ${points[v.name]!.map((p) => `${p.p50_ms}@${p.items}`).join(' ')} ms`);
  });
  const next = ModelManifest.parse(raw);
  writeFileAtomic(path, JSON.stringify(raw, null, 2) + '\n');
  return next;
}
