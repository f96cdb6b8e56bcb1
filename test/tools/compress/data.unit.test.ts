/**
 * Samples for `--calibration` / `--eval` from files the test writes: .npy arrays (format 1 and 2, several
 * dtypes), WAV audio (stereo 16-bit mixed to mono, cut into frames, resampled), PNG and JPEG images (resized
 * and laid out as CHW or NHWC, pixels mapped onto the input's range), the mapping of files onto inputs, and
 * the random evaluation set of a streaming model (batch fixed to 1, a state, a sample rate with two values).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import wavefile from 'wavefile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import { imageSample, readImage } from '../../../tools/compress/data/image.js';
import { parseNpy } from '../../../tools/compress/data/npy.js';
import { evaluationSets } from '../../../tools/compress/data/eval-set.js';
import { loadSamples, type SampleOptions } from '../../../tools/compress/data/samples.js';
import { readWav } from '../../../tools/compress/data/wav.js';
import { npy } from './npy-writer.js';
import { vadNet } from './vad-graphs.js';

let dir: string;
const path = (name: string) => join(dir, name);

/** A w x h RGBA PNG whose pixel (x, y) is (x*10, y*10, 200, 255). */
function png(w: number, h: number): Buffer {
  const p = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) p.data.set([x * 10, y * 10, 200, 255], (y * w + x) * 4);
  return PNG.sync.write(p);
}

function wav(channels: number[][], rate: number): Uint8Array {
  const w = new wavefile.WaveFile();
  w.fromScratch(channels.length, rate, '16', channels);
  return w.toBuffer();
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'compress-data-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('.npy reader', () => {
  it('reads float32, float64, int64, int32 and uint8 arrays in C order, format 1 and 2', () => {
    expect(parseNpy(npy('<f4', [2, 3], [1, 2, 3, 4, 5, 6.5]))).toEqual({ dtype: '<f4', shape: [2, 3], data: Float64Array.from([1, 2, 3, 4, 5, 6.5]) });
    expect(parseNpy(npy('<f8', [3], [0.1, 0.2, 0.3], 2)).data).toEqual(Float64Array.from([0.1, 0.2, 0.3]));
    expect(parseNpy(npy('<i8', [2, 2], BigInt64Array.from([1n, -2n, 3n, 40000000000n]))).data).toEqual(Float64Array.from([1, -2, 3, 4e10]));
    expect(parseNpy(npy('<i4', [1], [-7])).data).toEqual(Float64Array.from([-7]));
    expect(parseNpy(npy('|u1', [4], [0, 1, 128, 255])).data).toEqual(Float64Array.from([0, 1, 128, 255]));
  });

  it('refuses big-endian, truncated and non-npy files by name', () => {
    expect(() => parseNpy(npy('>f4', [2], [1, 2]))).toThrow(/dtype >f4 is not supported/);
    expect(() => parseNpy(npy('<f4', [4], [1, 2, 3, 4]).subarray(0, 130))).toThrow(/truncated: shape \(4\) of <f4 needs 16 bytes/);
    expect(() => parseNpy(new TextEncoder().encode('hello, not an array'))).toThrow(/not a \.npy file/);
  });
});

describe('WAV reader', () => {
  it('mixes a 16-bit stereo file to mono in [-1, 1] at its own rate', () => {
    const a = readWav(wav([[0, 16384, -32768, 8192], [0, 0, 0, 8192]], 8000));
    expect(a.rate).toBe(8000);
    expect(Array.from(a.samples)).toEqual([0, 0.25000762939453125, -0.5, 0.25000762939453125]);
  });

  it('resamples linearly to the rate asked for', () => {
    const a = readWav(wav([[0, 16384, 0, -16384]], 8000), 16000);
    expect(a.rate).toBe(16000);
    expect(a.samples.length).toBe(8);
    expect(a.samples[1]).toBeCloseTo(0.25, 4);
  });
});

describe('image reader', () => {
  it('decodes a PNG and lays it out as CHW with pixels mapped onto the range', () => {
    const img = readImage(png(4, 2));
    expect([img.width, img.height]).toEqual([4, 2]);
    const chw = imageSample(img, [3, 2, 4], 0, 255);
    expect(Array.from(chw.subarray(0, 4))).toEqual([0, 10, 20, 30]); // red plane, row 0
    expect(Array.from(chw.subarray(8, 12))).toEqual([0, 0, 0, 0]); // green plane, row 0
    expect(chw[16]).toBe(200); // blue plane
    const hwc = imageSample(img, [2, 4, 3], -1, 1);
    expect(Array.from(hwc.subarray(3, 6)).map((v) => Math.round(v * 1000) / 1000)).toEqual([Math.round((-1 + (2 * 10) / 255) * 1000) / 1000, -1, Math.round((-1 + (2 * 200) / 255) * 1000) / 1000]);
  });

  it('resizes bilinearly and makes gray from luminance', () => {
    const gray = imageSample(readImage(png(4, 2)), [1, 1, 2], 0, 255);
    // Each output pixel averages a 2x2 block: red 5 or 25, green 5, blue 200.
    expect(gray[0]).toBeCloseTo(0.299 * 5 + 0.587 * 5 + 0.114 * 200, 3);
    expect(gray[1]).toBeCloseTo(0.299 * 25 + 0.587 * 5 + 0.114 * 200, 3);
  });

  it('decodes a JPEG (lossy: close to the pixels written)', () => {
    const rgba = new Uint8Array(8 * 8 * 4).fill(255);
    for (let i = 0; i < 64; i++) rgba.set([120, 60, 30, 255], i * 4);
    const img = readImage(jpeg.encode({ width: 8, height: 8, data: rgba }, 95).data);
    const px = imageSample(img, [3, 1, 1], 0, 255);
    expect(Math.abs(px[0]! - 120)).toBeLessThan(6);
    expect(Math.abs(px[1]! - 60)).toBeLessThan(6);
  });
});

describe('loadSamples maps files onto an input', () => {
  const audio: TensorSpec[] = [{ name: 'wave', datatype: 'FP32', shape: [-1, 4] }, { name: 'state', datatype: 'FP32', shape: [2, -1, 8] }];
  const opts = (inputs: TensorSpec[], extra: Partial<SampleOptions> = {}): SampleOptions => ({
    inputs, sampleDims: Object.fromEntries(inputs.map((i) => [i.name, i.shape.slice(1)])), ranges: {}, state: new Set(['state']), maxSamples: 100, ...extra,
  });

  it('cuts a directory of WAV files into frames of the input length, padding a short file, on the first non-state input', () => {
    mkdirSync(path('wavs'));
    writeFileSync(path('wavs/a.wav'), wav([[0, 8192, 16384, 24576, 0, 0, 0, 0, 1]], 16000));
    writeFileSync(path('wavs/b.wav'), wav([[16384]], 16000));
    writeFileSync(path('wavs/notes.txt'), 'ignored');
    const { feeds, description } = loadSamples([path('wavs')], opts(audio), 'evaluation');
    expect(Object.keys(feeds)).toEqual(['wave']);
    expect(feeds['wave']!.dims).toEqual([3, 4]);
    // wavefile scales positive 16-bit values by 1/32767: 8192 -> 0.2500076.
    const near = (a: Float32Array) => Array.from(a, (v) => Math.round(v * 1e4) / 1e4);
    expect(near((feeds['wave']!.data as Float32Array).slice(0, 4))).toEqual([0, 0.25, 0.5, 0.75]);
    expect(near((feeds['wave']!.data as Float32Array).slice(8))).toEqual([0.5, 0, 0, 0]);
    expect(description).toMatch(/'wave': 3 frames of 4 samples from 2 WAV file\(s\) at 16000 Hz/);
  });

  it('maps audio onto a range named for the input', () => {
    const { feeds } = loadSamples([`wave=${path('wavs/b.wav')}`], opts(audio, { ranges: { wave: [0, 2] } }), 'evaluation');
    expect(Array.from(feeds['wave']!.data as Float32Array, (v) => Math.round(v * 1e4) / 1e4)).toEqual([1.5, 1, 1, 1]);
  });

  it('takes a list of PNG files for an image input and an .npy array for another', () => {
    writeFileSync(path('a.png'), png(4, 2));
    writeFileSync(path('b.png'), png(2, 2));
    writeFileSync(path('meta.npy'), npy('<f4', [2, 3], [1, 2, 3, 4, 5, 6]));
    const inputs: TensorSpec[] = [{ name: 'image', datatype: 'FP32', shape: [-1, 3, 2, 2] }, { name: 'meta', datatype: 'FP32', shape: [-1, 3] }];
    const { feeds } = loadSamples([`image=${path('a.png')},${path('b.png')}`, `meta=${path('meta.npy')}`], opts(inputs), 'calibration');
    expect(feeds['image']!.dims).toEqual([2, 3, 2, 2]);
    expect(feeds['meta']!.dims).toEqual([2, 3]);
    expect(feeds['image']!.data[0]).toBeCloseTo(5 / 255, 5);
  });

  it('names the problem: a sample shape that does not fit, differing sample counts, an unknown file type', () => {
    const inputs: TensorSpec[] = [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }, { name: 'y', datatype: 'FP32', shape: [-1, 3] }];
    expect(() => loadSamples([`x=${path('meta.npy')}`], opts(inputs), 'evaluation')).toThrow(/meta\.npy: shape \(2, 3\) does not give samples of \[4\]/);
    writeFileSync(path('one.npy'), npy('<f4', [3], [1, 2, 3]));
    writeFileSync(path('x.npy'), npy('<f4', [3, 4], new Array(12).fill(0)));
    expect(() => loadSamples([`y=${path('one.npy')}`, `x=${path('x.npy')}`], opts(inputs), 'evaluation')).toThrow(/different sample counts \(y 1, x 3\)/);
    expect(() => loadSamples([path('wavs/notes.txt')], opts(inputs), 'evaluation')).toThrow(/unsupported file type/);
  });
});

describe('the random evaluation set of a streaming model', () => {
  const inputs: TensorSpec[] = [{ name: 'input', datatype: 'FP32', shape: [1, -1] }, { name: 'state', datatype: 'FP32', shape: [2, 1, 8] }, { name: 'sr', datatype: 'INT64', shape: [] }];
  const outputs: TensorSpec[] = [{ name: 'output', datatype: 'FP32', shape: [1, 1] }, { name: 'stateN', datatype: 'FP32', shape: [2, 1, 8] }];
  const base = { shapes: { input: [1, 64] }, samples: 32, seed: 7, intHigh: 2, inputRange: [-1, 1] as [number, number], task: 'auto', inputValues: { sr: [8000, 16000] } };

  it('gives a model fixed to batch 1 --samples samples, its state zeros, and each sequence one of the listed rates', () => {
    const sets = evaluationSets(base, inputs, outputs, vadNet().graph);
    expect(sets.plan).toMatchObject({ chunk: 1, steps: 8, state: [{ input: 'state', output: 'stateN' }] });
    expect(sets.evalFeeds['input']!.dims).toEqual([32, 64]);
    expect(sets.evalFeeds['state']).toMatchObject({ dims: [2, 1, 8], fixed: true });
    expect([...sets.evalFeeds['sr']!.data].map(Number)).toEqual([8000, 16000, 8000, 16000].flatMap((r) => new Array(8).fill(r)));
    expect(sets.plan.sources).toEqual({ input: 'random uniform [-1, 1)', state: "zeros, then fed back from output 'stateN'", sr: 'one of 8000, 16000, in turn' });
  });

  it('feeds a state input values of its own, whole every run, with --stateless', () => {
    const sets = evaluationSets({ ...base, stateless: true }, inputs, outputs, vadNet().graph);
    expect(sets.plan.state).toEqual([]);
    expect(sets.evalFeeds['state']).toMatchObject({ dims: [2, 1, 8], fixed: true });
    expect(sets.plan.sources!['state']).toBe('random uniform [-1, 1), one tensor for every run');
  });
});
