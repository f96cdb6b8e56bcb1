/**
 * The OCR pipeline in the runtime that serves the models: onnxruntime-web (WASM, one thread), as in the
 * Worker and in tools/measure/probe.ts. det → boxes → crop → rec → CTC text, with PaddleOCR's pre- and
 * post-processing (det.ts, rec.ts); cls is run on its own (the bench measures it on upright and flipped
 * crops) rather than inside `read`, as PaddleOCR's default (use_angle_cls off) does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { detPostprocess, detPreprocess, type DetBox } from './det.js';
import { crop, type RgbImage } from './image.js';
import { clsPreprocess, ctcDecode, loadDictionary, recPreprocess, REC, type Feed } from './rec.js';

/** One model variant's file. */
export interface VariantFile {
  model: string;
  variant: string;
  path: string;
}

/** The variants a model's manifest lists (any name, so a new kind of variant is evaluated too). */
export function manifestVariants(model: string, modelsDir = 'models'): VariantFile[] {
  const manifest = JSON.parse(readFileSync(join(modelsDir, model, 'manifest.json'), 'utf8')) as { variants: Record<string, { file: string }> };
  return Object.entries(manifest.variants).map(([variant, v]) => ({ model, variant, path: join(modelsDir, model, v.file) }));
}

async function session(path: string): Promise<ort.InferenceSession> {
  ort.env.wasm.numThreads = 1;
  try {
    return await ort.InferenceSession.create(readFileSync(path), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  } catch (e) {
    throw new Error(`cannot load ${path} in onnxruntime-web: ${String((e as Error).message ?? e).split('\n')[0]}`, { cause: e });
  }
}

async function run(s: ort.InferenceSession, feed: Feed): Promise<ort.Tensor> {
  const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', feed.data, feed.dims) });
  return out[s.outputNames[0]!]!;
}

/** A recognised line: its box, text and mean character confidence. */
export interface ReadLine {
  box: DetBox;
  text: string;
  score: number;
}

/** Sessions for det, rec and (optionally) cls files, each possibly a different variant. */
export class OcrPipeline {
  private readonly dict = loadDictionary();

  private constructor(private readonly det: ort.InferenceSession | undefined, private readonly rec: ort.InferenceSession | undefined, private readonly cls: ort.InferenceSession | undefined) {}

  static async load(files: { det?: string; rec?: string; cls?: string }): Promise<OcrPipeline> {
    const [det, rec, cls] = await Promise.all([files.det, files.rec, files.cls].map((f) => (f ? session(f) : undefined)));
    return new OcrPipeline(det, rec, cls);
  }

  /** Text boxes of a page, in the page's pixels, in reading order. */
  async detect(img: RgbImage): Promise<DetBox[]> {
    if (!this.det) throw new Error('no det model loaded');
    const input = detPreprocess(img);
    const out = await run(this.det, { data: input.data, dims: [1, 3, input.height, input.width] });
    return detPostprocess(out.data as Float32Array, input.width, input.height, img.width, img.height);
  }

  /** The text of one line crop. */
  async recognize(line: RgbImage): Promise<{ text: string; score: number }> {
    if (!this.rec) throw new Error('no rec model loaded');
    const out = await run(this.rec, recPreprocess(line));
    const [, steps, classes] = out.dims as [number, number, number];
    return ctcDecode(out.data as Float32Array, steps, classes, this.dict);
  }

  /** Whether a line crop is upside down (label 1, '180') and the classifier's probability for it. */
  async classify(line: RgbImage): Promise<{ angle: 0 | 180; p180: number }> {
    if (!this.cls) throw new Error('no cls model loaded');
    const p = (await run(this.cls, clsPreprocess(line))).data as Float32Array;
    return { angle: p[1]! > p[0]! ? 180 : 0, p180: p[1]! };
  }

  /** det → crop → rec over a page; lines below PaddleOCR's drop_score (0.5) are dropped as it does. */
  async read(img: RgbImage): Promise<ReadLine[]> {
    return this.readBoxes(img, await this.detect(img));
  }

  /** rec over boxes already detected on `img` (the second half of `read`). */
  async readBoxes(img: RgbImage, boxes: readonly DetBox[]): Promise<ReadLine[]> {
    const lines: ReadLine[] = [];
    for (const box of boxes) {
      const r = await this.recognize(crop(img, box));
      if (r.score >= REC.dropScore) lines.push({ box, ...r });
    }
    return lines;
  }

  async release(): Promise<void> {
    await Promise.all([this.det, this.rec, this.cls].map((s) => s?.release()));
  }
}
