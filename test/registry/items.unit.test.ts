/**
 * Request size in latency-profile items, from the manifests the repo ships: batch size for mnist, image
 * tiles for the text detector, token sequences for the transformer.
 */
import { describe, expect, it } from 'vitest';
import { readManifests } from '../../tools/lib/manifests.js';
import { requestItems } from '../../src/registry/registry.js';

const models = new Map(readManifests('models').map((m) => [m.name, m]));

describe('requestItems', () => {
  it('counts mnist requests in digits', () => {
    expect(requestItems(models.get('mnist')!, [{ name: 'input', shape: [7, 784] }])).toBe(7);
  });

  it('counts a detector image in 32x32 tiles, so a 640x640 page is 16 times a 160x160 one', () => {
    const det = models.get('ppocr-det')!;
    expect(requestItems(det, [{ name: 'x', shape: [1, 3, 640, 640] }])).toBe(400);
    expect(requestItems(det, [{ name: 'x', shape: [1, 3, 160, 160] }])).toBe(25);
  });

  it('counts transformer requests in profiled sequences, so longer sequences cost more', () => {
    const t = models.get('transformer-small')!;
    expect(requestItems(t, [{ name: 'input_ids', shape: [4, 128] }, { name: 'attention_mask', shape: [4, 128] }])).toBe(16);
    expect(requestItems(t, [{ name: 'input_ids', shape: [1, 8] }])).toBe(1);
  });

  it('falls back to the batch size when a manifest has no item spec', () => {
    const m = structuredClone(models.get('mnist')!);
    for (const v of Object.values(m.variants)) delete v!.latency.item;
    expect(requestItems(m, [{ name: 'input', shape: [3, 784] }])).toBe(3);
  });
});
