/**
 * The edge variant cooldown: a failed variant is skipped for the cooldown, per model, then tried again.
 */
import { describe, expect, it } from 'vitest';
import { VariantHealth } from '../../src/dataplane/variant-health.js';
import type { ModelManifest } from '../../src/registry/manifest.js';

const model = (name: string) => ({ name, variants: { fp32: {}, fp16: {}, int8: {} } }) as unknown as ModelManifest;

describe('variant health', () => {
  it('skips a failed variant for its cooldown, then lets it back in', () => {
    const clock = { t: 1000 };
    const health = new VariantHealth(() => clock.t);
    const mnist = model('mnist');
    expect(health.unhealthy(mnist).size).toBe(0);
    health.failed(mnist, 'fp16', 30_000);
    expect([...health.unhealthy(mnist)]).toEqual(['fp16']);
    clock.t += 29_999;
    expect([...health.unhealthy(mnist)]).toEqual(['fp16']);
    clock.t += 1;
    expect(health.unhealthy(mnist).size).toBe(0);
  });

  it('keeps models apart: the same variant of another model is still healthy', () => {
    const health = new VariantHealth(() => 0);
    health.failed(model('mnist'), 'int8', 1000);
    expect(health.unhealthy(model('ppocr-cls')).size).toBe(0);
    expect([...health.unhealthy(model('mnist'))]).toEqual(['int8']);
  });

  it('with no cooldown configured, a failure does not take the variant out at all', () => {
    const health = new VariantHealth(() => 0);
    health.failed(model('mnist'), 'fp32', 0);
    expect(health.unhealthy(model('mnist')).size).toBe(0);
  });
});
