/**
 * Fidelity floors add up (tools/measure/gate.ts floorsFor): a floor given on the command line joins its
 * kind's default instead of replacing it, so `--fidelity-floor snr=20` on a regression output still holds
 * the default cosine; a floor on a metric already held replaces it, the more specific one winning.
 */
import { describe, expect, it } from 'vitest';
import { floorsFor, gate, parseFloors } from '../../../tools/measure/gate.js';

const kinds = { y: 'regression', p: 'scalar', logits: 'classification' } as const;

/** The floors on means only (each brings a worst-sample companion, tested in worst-sample.unit.test.ts). */
const means = (floors: Record<string, { metric: string }[]>) => Object.fromEntries(Object.entries(floors).map(([k, f]) => [k, f.filter((x) => !x.metric.endsWith('_worst'))]));

describe('additive fidelity floors', () => {
  it('adds snr=20 to the default cosine of a regression output, and leaves other kinds at their defaults', () => {
    expect(means(floorsFor(kinds, parseFloors(['snr=20'])))).toEqual({
      y: [{ metric: 'cosine', value: 0.99 }, { metric: 'snr', value: 20 }],
      p: [{ metric: 'rel', value: 0.05 }],
      logits: [{ metric: 'top1', value: 0.99 }],
    });
  });

  it('adds a general cosine floor to a classifier\'s default top-1, and a named floor to both', () => {
    const f = means(floorsFor(kinds, parseFloors(['cosine=0.98', 'logits:top1=0.995'])));
    expect(f['logits']).toEqual([{ output: 'logits', metric: 'top1', value: 0.995 }, { metric: 'cosine', value: 0.98 }]);
    expect(f['y']).toEqual([{ metric: 'cosine', value: 0.98 }]);
  });

  it('fails a regression output that keeps snr=20 but loses the default cosine', () => {
    const floors = floorsFor({ y: 'regression' }, parseFloors(['snr=20']));
    const verdict = gate({ outputs: { y: { kind: 'regression', max_abs_err: 0, mean_abs_err: 0, cosine: 0.95, snr_db: 25 } } }, floors);
    expect(verdict.passes).toBe(false);
    expect(verdict.failures).toEqual(["'y' cosine 0.95 < 0.99"]);
  });
});
