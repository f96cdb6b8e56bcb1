/**
 * Triton's statistics extension (`GET /v2/models[/{m}[/versions/{v}]]/stats`), counted from what the data
 * plane measures of every request it answers or fails, in this process (an isolate, at the edge) since it
 * started, like Triton's own counters.
 *
 * Mapping: `success` is the whole request in the plane (decode to encode); `queue` the backend's queue wait;
 * `compute_input` the decode of the v2 body; `compute_infer` the edge run, or the origin round trip;
 * `compute_output` the encode. `inference_count` counts items (a request of batch 8 is 8); `execution_count`
 * counts runs: an edge run that batched N requests is one execution. Each request sees only its run's total
 * batch size, so it adds its share (own size / run size) of one execution, and of the run's compute_infer,
 * to the run's batch size: once every request of the run has answered, the shares add up to whole runs
 * (rounded when printed). No response cache here: `cache_hit` and `cache_miss` stay zero.
 *
 * Per variant: Triton's entry is per model and version, and clients look models up by (name, version), so
 * the entry aggregates every variant and target; a non-Triton field `variant_stats` (ignored by Triton's
 * clients, which read only the keys they know) breaks the successes down per variant and target. Failures
 * count on the model only: most fail before a variant is chosen.
 */
import type { BackendResult } from '../backend.js';
import type { InferenceRequest } from '../protocol/tensor.js';
import type { ModelManifest } from '../registry/manifest.js';

export interface DurationStat {
  count: number;
  ns: number;
}

export interface TritonBatchStat {
  batch_size: number;
  compute_input: DurationStat;
  compute_infer: DurationStat;
  compute_output: DurationStat;
}

export interface TritonInferenceStats {
  success: DurationStat;
  fail: DurationStat;
  queue: DurationStat;
  compute_input: DurationStat;
  compute_infer: DurationStat;
  compute_output: DurationStat;
  cache_hit: DurationStat;
  cache_miss: DurationStat;
}

/** One `$model_stat` of Triton's response, plus the per-variant breakdown. */
export interface TritonModelStat {
  name: string;
  version: string;
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: TritonInferenceStats;
  response_stats: Record<string, never>;
  batch_stats: TritonBatchStat[];
  memory_usage: never[];
  variant_stats: VariantStat[];
}

export interface VariantStat extends Omit<TritonModelStat, 'name' | 'version' | 'response_stats' | 'memory_usage' | 'variant_stats'> {
  variant: string;
  target: 'edge' | 'origin';
}

/** What the plane tells of one answered request (durations in ms). */
export interface SuccessRecord {
  request: Pick<InferenceRequest, 'inputs'>;
  /** What answered: the variant, its timings and the batch size of the run (absent: it ran alone). */
  result: Pick<BackendResult, 'variant' | 'timings' | 'batch'>;
  /** Where it ran, as `x-served-by` says: this process's engine is `origin` at the origin. */
  target: 'edge' | 'origin';
  decodeMs: number;
  encodeMs: number;
  totalMs: number;
}

type StatModel = Pick<ModelManifest, 'name' | 'version' | 'batch_axis'>;

/** A success as counted: the request's own batch size (1 without a batch axis) next to its run's. */
interface Counting {
  size: number;
  batch: number;
  r: SuccessRecord;
}

interface Counted {
  count: number;
  ms: number;
}

/** Fractional executions (shares of runs) and their durations, per batch size. */
interface BatchCounter {
  runs: number;
  input: number;
  infer: number;
  output: number;
}

class Counters {
  last = 0;
  items = 0;
  executions = 0;
  readonly stats = { success: zero(), fail: zero(), queue: zero(), compute_input: zero(), compute_infer: zero(), compute_output: zero() };
  readonly batches = new Map<number, BatchCounter>();

  add({ size, batch, r }: Counting, at: number): void {
    const { timings } = r.result;
    const share = size / batch;
    const infer = timings.infer ?? timings.origin ?? 0;
    this.last = at;
    this.items += size;
    this.executions += share;
    tally(this.stats.success, r.totalMs);
    tally(this.stats.queue, timings.queue ?? 0);
    tally(this.stats.compute_input, r.decodeMs);
    tally(this.stats.compute_infer, infer);
    tally(this.stats.compute_output, r.encodeMs);
    const b = this.batches.get(batch) ?? { runs: 0, input: 0, infer: 0, output: 0 };
    // A run's inputs and outputs are decoded and encoded per request: their sum is the run's; its compute is shared.
    b.runs += share;
    b.input += r.decodeMs;
    b.infer += share * infer;
    b.output += r.encodeMs;
    this.batches.set(batch, b);
  }

  render(): Omit<VariantStat, 'variant' | 'target'> {
    const s = this.stats;
    return {
      last_inference: this.last,
      inference_count: this.items,
      execution_count: Math.round(this.executions),
      inference_stats: { success: ns(s.success), fail: ns(s.fail), queue: ns(s.queue), compute_input: ns(s.compute_input), compute_infer: ns(s.compute_infer), compute_output: ns(s.compute_output), cache_hit: { count: 0, ns: 0 }, cache_miss: { count: 0, ns: 0 } },
      batch_stats: [...this.batches]
        .sort(([a], [b]) => a - b)
        .map(([size, b]) => {
          const count = Math.round(b.runs);
          return { batch_size: size, compute_input: { count, ns: toNs(b.input) }, compute_infer: { count, ns: toNs(b.infer) }, compute_output: { count, ns: toNs(b.output) } };
        }),
    };
  }
}

const zero = (): Counted => ({ count: 0, ms: 0 });
const toNs = (ms: number) => Math.round(ms * 1e6);
const ns = (c: Counted): DurationStat => ({ count: c.count, ns: toNs(c.ms) });

function tally(c: Counted, ms: number): void {
  c.count++;
  c.ms += Math.max(0, ms);
}

/** The counters of every model (by name and version) this plane has served or failed. */
export class Statistics {
  private readonly models = new Map<string, { model: Counters; variants: Map<string, Counters> }>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  private of(name: string, version: string) {
    const key = `${name}\u0000${version}`;
    let entry = this.models.get(key);
    if (!entry) this.models.set(key, (entry = { model: new Counters(), variants: new Map() }));
    return entry;
  }

  /** Counts one answered request. */
  succeeded(model: StatModel, r: SuccessRecord): void {
    const at = this.now();
    const size = model.batch_axis ? (r.request.inputs[0]?.shape[0] ?? 1) : 1;
    const counting = { size, batch: Math.max(size, r.result.batch ?? size), r };
    const entry = this.of(model.name, model.version);
    entry.model.add(counting, at);
    const key = `${r.target}/${r.result.variant}`;
    let v = entry.variants.get(key);
    if (!v) entry.variants.set(key, (v = new Counters()));
    v.add(counting, at);
  }

  /** Counts one failed request, with the time it took to fail (ms). */
  failed(model: StatModel, ms: number): void {
    tally(this.of(model.name, model.version).model.stats.fail, ms);
  }

  /** Triton's `$model_stat` of a model version: zeros when nothing was counted yet. */
  model({ name, version }: Pick<ModelManifest, 'name' | 'version'>): TritonModelStat {
    const entry = this.models.get(`${name}\u0000${version}`);
    const variant_stats = [...(entry?.variants ?? [])].sort(([a], [b]) => a.localeCompare(b)).map(([key, c]) => {
      const [target, variant] = key.split('/') as ['edge' | 'origin', string];
      return { variant, target, ...c.render() };
    });
    return { name, version, ...(entry?.model ?? new Counters()).render(), response_stats: {}, memory_usage: [], variant_stats };
  }
}
