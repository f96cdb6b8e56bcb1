/**
 * WAV audio samples for calibration and evaluation, decoded with `wavefile` (PCM 8-32 bit, float 32/64,
 * A-law, mu-law): mixed down to mono and, when a rate is asked for, resampled linearly to it. Values are in
 * [-1, 1] before `--input-range` maps them.
 */
import wavefile from 'wavefile';

/** Mono samples in [-1, 1] and their rate. */
export interface Audio {
  rate: number;
  samples: Float32Array;
}

/** Decodes a WAV file; throws an Error naming the problem. */
export function readWav(bytes: Uint8Array, rate?: number): Audio {
  const wav = new wavefile.WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (err) {
    throw new Error(`not a readable WAV file (${(err as Error).message})`);
  }
  // Copied out: the conversions below rebuild the fmt object in place.
  const fmt = { ...(wav.fmt as { numChannels: number; sampleRate: number; audioFormat: number }) };
  if (fmt.audioFormat === 6) wav.fromALaw(); // to 16-bit PCM
  else if (fmt.audioFormat === 7) wav.fromMuLaw();
  // 32-bit float keeps every PCM depth exactly and is already in [-1, 1].
  if (wav.bitDepth !== '32f') wav.toBitDepth('32f');
  const channels = Math.max(1, fmt.numChannels);
  const interleaved = wav.getSamples(true, Float64Array) as unknown as Float64Array;
  const frames = Math.floor(interleaved.length / channels);
  const mono = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += interleaved[i * channels + c]!;
    mono[i] = s / channels;
  }
  return rate && rate !== fmt.sampleRate ? { rate, samples: resample(mono, fmt.sampleRate, rate) } : { rate: fmt.sampleRate, samples: mono };
}

/** Linear-interpolation resampling: simple and enough for calibration statistics (no anti-aliasing filter). */
export function resample(x: Float32Array, from: number, to: number): Float32Array {
  const n = Math.max(1, Math.round((x.length * to) / from));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = (i * from) / to;
    const j = Math.floor(t);
    const f = t - j;
    out[i] = (x[j] ?? 0) * (1 - f) + (x[Math.min(j + 1, x.length - 1)] ?? 0) * f;
  }
  return out;
}

/** Cuts audio into consecutive frames of `length` samples; a file shorter than one frame is padded with silence. */
export function frames(samples: Float32Array, length: number): Float32Array[] {
  if (samples.length < length) {
    const one = new Float32Array(length);
    one.set(samples);
    return [one];
  }
  const out: Float32Array[] = [];
  for (let at = 0; at + length <= samples.length; at += length) out.push(samples.subarray(at, at + length));
  return out;
}
