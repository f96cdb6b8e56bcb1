/** The one seeded PRNG (mulberry32) of tools, bench and tests: reproducible streams, byte for byte. */
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../tools/lib/prng.js';

describe('Prng', () => {
  it('gives mulberry32’s stream for a seed, on every machine', () => {
    const p = new Prng(1);
    expect([p.next(), p.next(), p.next()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  });

  it('replays the same stream from the same seed and another from another seed', () => {
    const take = (seed: number) => Array.from({ length: 20 }, ((p) => () => p.next())(new Prng(seed)));
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
  });

  it('draws integers in [0, n) and uniforms in [-limit, limit]', () => {
    const p = new Prng(3);
    const ints = Array.from({ length: 1000 }, () => p.int(6));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    const xs = p.fillUniform(new Float32Array(1000), 0.5);
    expect(Math.max(...xs)).toBeLessThanOrEqual(0.5);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-0.5);
  });

  it('shuffles into a permutation of the same items', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = new Prng(11).shuffle([...items]);
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
  });
});
