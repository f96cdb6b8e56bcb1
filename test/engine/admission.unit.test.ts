/**
 * Admission by predicted cost, the rule alone: a request over the per-request limit is refused 413 naming the
 * limit and the prediction; one that cannot finish by its deadline behind the work queued ahead of it fails
 * 504 at once; everything else is admitted.
 */
import { describe, expect, it } from 'vitest';
import type { AdmissionInput } from '../../src/engine/admission.js';
import { admissionCostMs, admit } from '../../src/engine/admission.js';

const limit = { maxCostMs: 5000, limitName: 'origin_limits.max_request_cost_ms' };

function judge(input: Partial<AdmissionInput> & { ahead?: number }): unknown {
  try {
    admit({ name: 'transformer-large/fp32', costMs: 300, latestStart: undefined, now: 0, aheadMs: () => input.ahead ?? 0, limit, ...input });
    return 'admitted';
  } catch (e) {
    return e;
  }
}

describe('admission by predicted cost', () => {
  it("refuses a request predicted over the per-request limit with a 413 naming the limit and the prediction, whatever its deadline", () => {
    const err = judge({ costMs: 10_553.4, latestStart: 60_000 });
    expect(err).toMatchObject({ status: 413 });
    expect((err as Error).message).toBe('transformer-large/fp32: this request is predicted to compute for 10553 ms, over the limit of 5000 ms per request (origin_limits.max_request_cost_ms); send fewer or shorter inputs per request');
  });

  it.each([
    { name: 'admits a request that can finish by its deadline behind the work ahead', cost: 300, latestStart: 9700, ahead: 9000, status: undefined },
    { name: 'fails one whose compute alone exceeds what is left with a 504', cost: 4000, latestStart: -1000, ahead: 0, status: 504 },
    { name: 'fails one that would finish too late behind the work queued ahead of it', cost: 300, latestStart: 700, ahead: 800, status: 504 },
    { name: 'admits anything under the limit when there is no deadline to hold', cost: 4999, latestStart: undefined, ahead: 1e9, status: undefined },
  ])('$name', ({ cost, latestStart, ahead, status }) => {
    const err = judge({ costMs: cost, latestStart, ahead });
    if (status === undefined) expect(err).toBe('admitted');
    else expect(err).toMatchObject({ status });
  });

  it('says what it predicted and what was left when it fails a request by its deadline', () => {
    const err = judge({ costMs: 300, latestStart: 700, now: 0, ahead: 800 });
    expect((err as Error).message).toBe("transformer-large/fp32: cannot finish by the request's deadline: predicted 300 ms to compute + 800 ms of work queued ahead > 1000 ms left; not started");
  });

  it("judges by the manifest's line when what was learned from short requests predicts less (a transformer's cost is superlinear in its sequence)", () => {
    // transformer-large fp32 at the origin's 0.5: a [5,512] request is 80 items of 32 tokens.
    const fit = { fixed_ms: 399.7, per_item_ms: 258.8 };
    expect(admissionCostMs(3_200, fit, 80, 0.5)).toBeCloseTo(10_551.9, 1);
    expect(admissionCostMs(900, fit, 0.25, 0.5)).toBe(900);
  });
});
