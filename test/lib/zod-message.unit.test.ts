/** One wording for zod failures: `path: message`, dotted paths, `(root)` for the value itself. */
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { issuePath, zodMessage } from '../../src/lib/zod-message.js';

const failure = (schema: z.ZodType, value: unknown) => {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error('expected a failure');
  return parsed.error;
};

const Body = z.object({ inputs: z.array(z.object({ name: z.string() })), slo_ms: z.number().positive() }).strict();

describe('zod issue messages', () => {
  it('dots nested paths, array indexes included', () => {
    const err = failure(Body, { inputs: [{ name: 1 }], slo_ms: 1 });
    expect(issuePath(err.issues[0]!)).toBe('inputs.0.name');
  });

  it('says (root) when the value itself is wrong', () => {
    expect(issuePath(failure(Body, 42).issues[0]!)).toBe('(root)');
    expect(zodMessage(failure(Body, [1]))).toMatch(/^\(root\): /);
  });

  it('names every issue, in order, joined by semicolons', () => {
    const err = failure(Body, { inputs: 'x', slo_ms: -1 });
    expect(zodMessage(err)).toBe(`inputs: ${err.issues[0]!.message}; slo_ms: ${err.issues[1]!.message}`);
  });

  it('names only the first issue when asked', () => {
    const err = failure(Body, { inputs: 'x', slo_ms: -1 });
    expect(zodMessage(err, { first: true })).toBe(`inputs: ${err.issues[0]!.message}`);
  });

  it('reads symbol keys without throwing', () => {
    expect(issuePath({ path: [Symbol('k'), 0], message: 'bad' })).toBe('Symbol(k).0');
  });
});
