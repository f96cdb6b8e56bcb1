import { describe, expect, it } from 'vitest';
import { brief, decimalHeader } from '../../src/lib/text.js';

describe('decimalHeader', () => {
  it.each([
    ['150', 150],
    ['0', 0],
    ['12.5', 12.5],
  ])('reads %s as %d', (raw, n) => expect(decimalHeader(raw)).toBe(n));

  it.each(['0x66', '1e3', ' 7', '7 ', '-1', '+1', '', 'Infinity', 'NaN', '1.', '.5', '01', '1_000'])('refuses %j', (raw) => {
    expect(decimalHeader(raw)).toBeUndefined();
  });
});

describe('brief', () => {
  it('echoes small values as JSON', () => {
    expect(brief([1, 2, 3])).toBe('[1,2,3]');
    expect(brief('x')).toBe('"x"');
  });

  it('never grows with the value: a million-dimension shape stays one short line', () => {
    const out = brief(Array.from({ length: 1_000_000 }, () => 1));
    expect(out.length).toBeLessThanOrEqual(80);
    expect(out).toContain('1000000 items');
    expect(brief('y'.repeat(10_000)).length).toBe(80);
  });
});
