/**
 * A compressed model served by the gateway inside workerd: PaddleOCR cls (every variant under 2 MiB, so
 * bundled as Worker assets) answers v2 requests with each pinned variant from the edge, int8w (int8 weights
 * in the file, folded to fp32 when the edge loads it) included.
 */
import { describe, expect, it } from 'vitest';
import { textImages } from '../../../tools/models/ocr/data.js';
import { get, post } from '../../helpers.js';

const image = Array.from(textImages(1, 48, 192, 5), (v) => Math.round(v * 1000) / 1000);
const body = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 48, 192], data: image }] };

describe('a compressed model through the gateway', () => {
  it('is listed with its four variants, all placed at the edge', async () => {
    const res = await get('/v2/models');
    const cls = res.body.models.find((m: any) => m.name === 'ppocr-cls');
    expect(cls, 'ppocr-cls in the catalog (npm run models && npm run catalog)').toBeDefined();
    expect(cls.variants.map((v: any) => v.name).sort()).toEqual(['fp16', 'fp32', 'int8', 'int8w']);
    for (const v of cls.variants) expect(v.placement).toBe('edge');
  });

  it('runs every variant at the edge and they agree on the direction', async () => {
    const answers: number[][] = [];
    for (const variant of ['fp32', 'fp16', 'int8', 'int8w']) {
      const res = await post('/v2/models/ppocr-cls/infer', body, { 'x-model-variant': variant, 'x-slo-ms': '20000' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.headers.get('x-model-variant')).toBe(variant);
      expect(res.headers.get('x-served-by'), res.headers.get('x-route-reason') ?? '').toBe('edge');
      const out = res.body.outputs[0];
      expect(out.shape).toEqual([1, 2]);
      expect(out.data[0] + out.data[1]).toBeCloseTo(1, 3);
      answers.push(out.data);
    }
    for (const a of answers.slice(1)) expect(Math.abs(a[0]! - answers[0]![0]!)).toBeLessThan(0.05);
  });
});
