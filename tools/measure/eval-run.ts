/**
 * Running a model over an evaluation set, the same way in every runtime: the probe runs it in
 * onnxruntime-web (the runtime that serves edge variants), the compressor's quick checks in onnxruntime-node.
 * Samples go in chunks the model accepts; a stateful model (an output fed back into an input) runs sample by
 * sample in sequences of `steps`, each variant fed back its own state, so the drift it accumulates is measured.
 * Every output is collected, not only the first.
 */

/**
 * One input's data: axis 0 counts samples, unless `fixed` (the same tensor for every run: a state's initial
 * value, a rank-0 input). `perRun`: a rank-0 input that changes from run to run (a sample rate given two
 * values), held as one value per sample [N]; each run is fed its first sample's value as a scalar.
 */
export interface Feed {
  type: 'float32' | 'int64';
  dims: number[];
  data: Float32Array | BigInt64Array;
  fixed?: boolean;
  perRun?: boolean;
}
export type Feeds = Record<string, Feed>;

/** An output over the whole set: rows of `width` values, one row per sample (per run for outputs without a batch axis). */
export interface EvalOutput {
  width: number;
  /** Size of the output's last axis: the classes a classification row scores. */
  last: number;
  data: Float32Array;
}
export type EvalOutputs = Record<string, EvalOutput>;

/** How to run the set: samples per run, and the state pairs (output fed back into input). */
export interface EvalPlan {
  chunk: number;
  state: { input: string; output: string }[];
  /** Steps per sequence of a stateful model; the state outputs are kept at the last step of each. */
  steps: number;
  /** At most this many sequences of a stateful model (each is `steps` single-sample runs). */
  maxSequences?: number;
  /** Where each input's values come from ("sample file x.npy", "random uniform [0, 1)"): named when a run fails. */
  sources?: Record<string, string>;
}

/** What a runtime's session.run gives back, reduced to what is read here. */
export type RunOutputs = Record<string, { dims: readonly number[]; data: ArrayLike<number | bigint> }>;

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Number of samples (axis 0 of the first input that is not fixed). */
export function sampleCount(feeds: Feeds): number {
  return Object.values(feeds).find((f) => !f.fixed)?.dims[0] ?? 0;
}

/** Samples [from, to) of every feed; fixed feeds are passed as they are, and the whole range is the set itself. */
export function sliceFeeds(feeds: Feeds, from: number, to: number): Feeds {
  if (from === 0 && to >= sampleCount(feeds)) return feeds;
  const out: Feeds = {};
  for (const [name, f] of Object.entries(feeds)) {
    if (f.fixed) {
      out[name] = f;
      continue;
    }
    const per = size(f.dims.slice(1));
    out[name] = { type: f.type, dims: [to - from, ...f.dims.slice(1)], data: f.data.slice(from * per, to * per) as Float32Array | BigInt64Array, ...(f.perRun ? { perRun: true } : {}) };
  }
  return out;
}

/** The tensors of one run over samples [from, to): `perRun` inputs become the scalar of their first sample. */
export function runFeeds(feeds: Feeds, from: number, to: number): Feeds {
  const part = sliceFeeds(feeds, from, to);
  if (!Object.values(part).some((f) => f.perRun)) return part;
  return Object.fromEntries(Object.entries(part).map(([name, f]) => [name, f.perRun ? { type: f.type, dims: [], data: f.data.slice(0, 1) as Float32Array | BigInt64Array } : f]));
}

/** What a run was fed, input by input: dtype, dims and where the values came from. */
export function describeRun(part: Feeds, plan: EvalPlan, fedBack: ReadonlySet<string> = new Set()): string {
  return Object.entries(part).map(([name, f]) => {
    const pair = fedBack.has(name) ? plan.state.find((p) => p.input === name) : undefined;
    const from = pair ? `fed back from output '${pair.output}'` : plan.sources?.[name];
    return `'${name}' ${f.type} [${f.dims.join(',')}]${from ? ` (${from})` : ''}`;
  }).join(', ');
}

/** Runs one part; a failure names what the run was fed, so a wrong pairing or value is visible. */
async function attempt(run: (feeds: Feeds) => Promise<RunOutputs>, part: Feeds, plan: EvalPlan, where: string, fedBack?: ReadonlySet<string>): Promise<RunOutputs> {
  try {
    return await run(part);
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).trim().split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
    throw new Error(`${message}; ${where} was fed ${describeRun(part, plan, fedBack)}`, { cause: err });
  }
}

const toF32 = (data: ArrayLike<number | bigint>) => (data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>, (x) => Number(x)));

/** Collects rows of each output across runs. */
class Collector {
  private parts = new Map<string, { width: number; last: number; chunks: Float32Array[] }>();
  add(name: string, data: Float32Array, width: number, dims: readonly number[]): void {
    const p = this.parts.get(name) ?? { width, last: Math.max(1, dims.at(-1) ?? 1), chunks: [] };
    if (p.width !== width) throw new Error(`output '${name}' changes its row width between runs (${p.width} then ${width})`);
    p.chunks.push(data);
    this.parts.set(name, p);
  }
  done(): EvalOutputs {
    const out: EvalOutputs = {};
    for (const [name, p] of this.parts) {
      const data = new Float32Array(p.chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of p.chunks) {
        data.set(c, at);
        at += c.length;
      }
      out[name] = { width: p.width, last: p.last, data };
    }
    return out;
  }
}

/**
 * Runs `run` over every sample of `feeds` and returns every output. Without state: chunks of `plan.chunk`
 * samples; an output whose axis 0 is the chunk's sample count gives one row per sample, any other one row per run.
 */
export async function runEval(run: (feeds: Feeds) => Promise<RunOutputs>, feeds: Feeds, plan: EvalPlan): Promise<EvalOutputs> {
  if (plan.state.length) return runStateful(run, feeds, plan);
  const n = sampleCount(feeds);
  const rows = new Collector();
  for (let from = 0; from < n; from += plan.chunk) {
    const to = Math.min(n, from + plan.chunk);
    const out = await attempt(run, runFeeds(feeds, from, to), plan, `the run of samples ${from}..${to - 1}`);
    for (const [name, t] of Object.entries(out)) {
      const total = t.data.length;
      const perSample = t.dims.length > 0 && t.dims[0] === to - from ? total / (to - from) : total;
      rows.add(name, toF32(t.data), Math.max(1, perSample), t.dims);
    }
  }
  return rows.done();
}

/**
 * Stateful: sequences of `steps` consecutive samples, one sample per run, the state input of each run being
 * the state output of the run before (the initial value from `feeds` at the start of each sequence). Other
 * outputs give one row per step; state outputs one row per sequence, at its last step.
 */
async function runStateful(run: (feeds: Feeds) => Promise<RunOutputs>, feeds: Feeds, plan: EvalPlan): Promise<EvalOutputs> {
  const n = sampleCount(feeds);
  const steps = Math.max(1, Math.min(plan.steps, n));
  const sequences = Math.min(Math.floor(n / steps), plan.maxSequences ?? 16);
  const rows = new Collector();
  const stateOut = new Set(plan.state.map((s) => s.output));
  for (let s = 0; s < sequences; s++) {
    let state: Feeds = {};
    for (let k = 0; k < steps; k++) {
      const i = s * steps + k;
      const out = await attempt(run, { ...runFeeds(feeds, i, i + 1), ...state }, plan, `step ${k + 1} of sequence ${s + 1}`, new Set(Object.keys(state)));
      state = {};
      for (const pair of plan.state) {
        const t = out[pair.output];
        if (!t) throw new Error(`state output '${pair.output}' missing from the run's outputs`);
        state[pair.input] = { type: 'float32', dims: [...t.dims], data: Float32Array.from(toF32(t.data)), fixed: true };
      }
      for (const [name, t] of Object.entries(out)) {
        if (stateOut.has(name) && k < steps - 1) continue;
        rows.add(name, toF32(t.data), Math.max(1, t.data.length), t.dims);
      }
    }
  }
  return rows.done();
}

/** Runs of the plan: the number of steps actually taken per sequence (fewer when the set is short). */
export function stepsTaken(feeds: Feeds, plan: EvalPlan): number {
  return Math.max(1, Math.min(plan.steps, sampleCount(feeds)));
}
