/**
 * Conditional and range requests of artifacts (routes/v2/conditional.ts), as RFC 9110 reads them.
 */
import { describe, expect, it } from 'vitest';
import { byteRange, noneMatch } from '../../routes/v2/conditional.js';
import { RangeNotSatisfiable } from '../../src/errors.js';

const TAG = '"abc"';

describe('If-None-Match', () => {
  it.each([
    [TAG, true],
    ['"x", "abc"', true],
    ['W/"abc"', true],
    ['*', true],
    ['"abcd"', false],
    ['abc', false],
    [undefined, false],
  ])('%s matches: %s', (header, match) => expect(noneMatch(header, TAG)).toBe(match));
});

describe('Range', () => {
  it.each([
    ['bytes=0-9', { offset: 0, length: 10 }],
    ['bytes=90-', { offset: 90, length: 10 }],
    ['bytes=-5', { offset: 95, length: 5 }],
    ['bytes=-500', { offset: 0, length: 100 }],
    ['bytes=50-5000', { offset: 50, length: 50 }],
    ['bytes=0-1,4-5', undefined],
    ['bytes=9-3', undefined],
    ['items=0-9', undefined],
    ['bytes=-', undefined],
  ])('%s of 100 bytes is %j', (header, range) => expect(byteRange(header, 100, undefined, TAG)).toEqual(range));

  it.each(['bytes=100-', 'bytes=150-200', 'bytes=-0'])('%s of 100 bytes is 416 with bytes */100', (header) => {
    try {
      byteRange(header, 100, undefined, TAG);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RangeNotSatisfiable);
      expect((e as RangeNotSatisfiable).headers['content-range']).toBe('bytes */100');
    }
  });

  it('ignores the Range when If-Range names another version', () => {
    expect(byteRange('bytes=0-9', 100, '"old"', TAG)).toBeUndefined();
    expect(byteRange('bytes=0-9', 100, TAG, TAG)).toEqual({ offset: 0, length: 10 });
  });
});
