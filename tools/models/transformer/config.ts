/**
 * Configurations of the synthetic BERT-like encoder. `large` is BERT-base sized (about 110M parameters,
 * 440 MB fp32) so that every variant needs well over 128 MB of WASM heap: the gateway's "too big for the
 * edge" case. `tiny` is for tests.
 */

/** Shape of a generated encoder; the same config and seed always give the same bytes. */
export interface TransformerConfig {
  layers: number;
  hidden: number;
  heads: number;
  ffn: number;
  vocab: number;
  maxSeq: number;
  seed: number;
}

export const TRANSFORMER_CONFIGS = {
  large: { layers: 12, hidden: 768, heads: 12, ffn: 3072, vocab: 30522, maxSeq: 512, seed: 1234 },
  small: { layers: 2, hidden: 256, heads: 4, ffn: 1024, vocab: 8192, maxSeq: 128, seed: 1234 },
  tiny: { layers: 2, hidden: 32, heads: 4, ffn: 64, vocab: 100, maxSeq: 16, seed: 1234 },
} as const satisfies Record<string, TransformerConfig>;

/** Number of weights (all float parameters) of a config. */
export function parameterCount(c: TransformerConfig): number {
  const perLayer = 4 * (c.hidden * c.hidden + c.hidden) + 2 * c.hidden * c.ffn + c.ffn + c.hidden + 4 * c.hidden;
  return (c.vocab + c.maxSeq) * c.hidden + 2 * c.hidden + c.layers * perLayer;
}
