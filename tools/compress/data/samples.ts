/**
 * `--calibration` / `--eval` specs turned into feeds: `[input=]path[,path...]`, each path a file or a
 * directory of files, mapped onto one model input (default: the first float input that is not a state).
 * By extension: .json is the documented feeds file (every input, see feeds.ts), .npy an array of samples
 * (axis 0) or one sample, .wav audio cut into frames of the input's length, .png/.jpg/.jpeg images resized
 * to the input's H×W (image.ts). At most `maxSamples` samples are taken, in file order.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import { readFeeds, type Feeds } from './feeds.js';
import { CompressInputError } from '../failure.js';
import { imageSample, readImage } from './image.js';
import { parseNpy } from './npy.js';
import { frames, readWav } from './wav.js';

const EXTENSIONS = ['.npy', '.wav', '.png', '.jpg', '.jpeg'];

export interface SampleOptions {
  inputs: TensorSpec[];
  /** One sample's dims per input (the input's shape without axis 0; -1 where not known). */
  sampleDims: Record<string, number[]>;
  /** Ranges named for an input, or given for all (`--input-range`). */
  ranges: Record<string, [number, number]>;
  allRange?: [number, number];
  /** Resample audio to this rate (Hz); else used at its own rate, which must agree across files. */
  rate?: number;
  /** Inputs fed back from outputs: never mapped to samples. */
  state: ReadonlySet<string>;
  maxSamples: number;
}

/** Feeds for the inputs the specs cover, and a description for the manifest's eval_set. */
export function loadSamples(specs: readonly string[], o: SampleOptions, what: string): { feeds: Feeds; description: string } {
  const fail = (msg: string): never => { throw new CompressInputError(`${what}: ${msg}`); };
  const json = specs.filter((s) => s.toLowerCase().endsWith('.json'));
  if (json.length) {
    if (specs.length > 1) fail('a .json feeds file gives every input; it cannot be combined with other files');
    return { feeds: readFeeds(json[0]!, o.inputs, what, o.state), description: `${what} file ${json[0]}` };
  }
  const feeds: Feeds = {};
  const parts: string[] = [];
  for (const spec of specs) {
    const m = /^([^=]+)=(.+)$/.exec(spec);
    const named = m && o.inputs.some((i) => i.name === m[1]) ? m[1]! : undefined;
    const input = named ?? o.inputs.find((i) => i.datatype === 'FP32' && !o.state.has(i.name) && i.shape.length > 0)?.name;
    if (!input) fail(`no float input to map ${spec} onto; name one: <input>=<files>`);
    if (feeds[input!]) fail(`input '${input}' is given twice`);
    const files = (named ? m![2]! : spec).split(',').filter(Boolean).flatMap((p) => listFiles(p, fail));
    if (files.length === 0) fail(`${spec}: no ${EXTENSIONS.join('/')} files`);
    const spec_ = o.inputs.find((i) => i.name === input)!;
    const loaded = loadInput(files, spec_, o, (msg) => fail(`${spec}: ${msg}`));
    feeds[input!] = loaded.feed;
    parts.push(`'${input}': ${loaded.description}`);
  }
  const counts = new Set(Object.values(feeds).map((f) => f.dims[0]));
  if (counts.size > 1) fail(`inputs have different sample counts (${Object.entries(feeds).map(([n, f]) => `${n} ${f.dims[0]}`).join(', ')})`);
  return { feeds, description: `${what} samples: ${parts.join('; ')}` };
}

function listFiles(path: string, fail: (msg: string) => never): string[] {
  if (!existsSync(path)) fail(`${path}: no such file or directory`);
  if (!statSync(path).isDirectory()) {
    if (!EXTENSIONS.includes(extname(path).toLowerCase())) fail(`${path}: unsupported file type (use ${EXTENSIONS.join(', ')} or a .json feeds file)`);
    return [path];
  }
  return readdirSync(path).filter((f) => EXTENSIONS.includes(extname(f).toLowerCase())).sort().map((f) => join(path, f));
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** All files of one input: same kind, each giving one or more samples of the input's sample dims. */
function loadInput(files: string[], spec: TensorSpec, o: SampleOptions, fail: (msg: string) => never): { feed: Feeds[string]; description: string } {
  const kinds = new Set(files.map((f) => extname(f).toLowerCase().replace('.jpeg', '.jpg')));
  if (kinds.size > 1) fail(`mixes file types (${[...kinds].join(', ')})`);
  const kind = [...kinds][0]!;
  let dims = o.sampleDims[spec.name]!;
  const samples: Float64Array[] | Float32Array[] = [];
  const known = () => {
    if (dims.some((d) => d < 0)) fail(`input '${spec.name}' has dynamic dims ${JSON.stringify(spec.shape)}; give a sample's size with --shape ${spec.name}=...`);
  };
  const range = (natural: [number, number]) => o.ranges[spec.name] ?? o.allRange ?? natural;
  let description = '';
  if (kind === '.npy') {
    for (const file of files) {
      let a;
      try { a = parseNpy(readFileSync(file)); } catch (err) { return fail(`${file}: ${(err as Error).message}`); }
      const batched = a.shape.length === dims.length + 1;
      const shape = batched ? a.shape.slice(1) : a.shape;
      if (shape.length !== dims.length || shape.some((d, i) => dims[i]! >= 0 && dims[i] !== d)) fail(`${file}: shape (${a.shape.join(', ')}) does not give samples of [${dims.join(',')}] (input '${spec.name}' ${JSON.stringify(spec.shape)}; axis 0 counts samples)`);
      if (dims.some((d) => d < 0)) dims = shape;
      else if (shape.some((d, i) => d !== dims[i])) fail(`${file}: sample shape [${shape.join(',')}] differs from the files before`);
      const per = size(shape);
      for (let at = 0; at < a.data.length && samples.length < o.maxSamples; at += per) (samples as Float64Array[]).push(a.data.subarray(at, at + per));
    }
    description = `${samples.length} samples from ${files.length} .npy file(s)`;
  } else if (kind === '.wav') {
    known();
    const [lo, hi] = range([-1, 1]);
    const rates = new Set<number>();
    for (const file of files) {
      let audio;
      try { audio = readWav(readFileSync(file), o.rate); } catch (err) { return fail(`${file}: ${(err as Error).message}`); }
      rates.add(audio.rate);
      for (const f of frames(audio.samples, size(dims))) {
        if (samples.length >= o.maxSamples) break;
        (samples as Float32Array[]).push(Float32Array.from(f, (x) => lo + ((x + 1) / 2) * (hi - lo)));
      }
    }
    if (rates.size > 1) fail(`WAV files at different rates (${[...rates].join(', ')} Hz); resample them with --sample-rate`);
    description = `${samples.length} frames of ${size(dims)} samples from ${files.length} WAV file(s) at ${[...rates][0]} Hz, mapped to [${lo}, ${hi}]`;
  } else {
    known();
    const [lo, hi] = range([0, 1]);
    for (const file of files.slice(0, o.maxSamples)) {
      try { (samples as Float32Array[]).push(imageSample(readImage(readFileSync(file)), dims, lo, hi)); } catch (err) { return fail(`${file}: ${(err as Error).message}`); }
    }
    description = `${samples.length} images resized bilinearly to [${dims.join(',')}], pixels mapped to [${lo}, ${hi}]`;
  }
  const per = size(dims);
  const n = samples.length;
  if (spec.datatype === 'INT64') {
    const data = new BigInt64Array(n * per);
    samples.forEach((s, i) => s.forEach((x, j) => { data[i * per + j] = BigInt(Math.trunc(x)); }));
    return { feed: { type: 'int64', dims: [n, ...dims], data }, description };
  }
  if (spec.datatype !== 'FP32') fail(`input '${spec.name}' is ${spec.datatype}; samples feed FP32 or INT64 inputs`);
  const data = new Float32Array(n * per);
  samples.forEach((s, i) => data.set(s, i * per));
  return { feed: { type: 'float32', dims: [n, ...dims], data }, description };
}
