/** Per-isolate metrics: counters read back by series (the dashboard) and as Prometheus text (/metrics). */
import { describe, expect, it } from 'vitest';
import { Metrics } from '../src/metrics.js';

describe('Metrics', () => {
  it('reads a counter back series by series, with labels, in first-counted order', () => {
    const m = new Metrics();
    m.inc('nv_inference_request_success', { model: 'b', variant: 'int8' });
    m.inc('nv_inference_request_success', { variant: 'fp32', model: 'a' }, 2);
    m.inc('nv_inference_request_success', { model: 'b', variant: 'int8' });
    expect(m.series('nv_inference_request_success')).toEqual([
      { labels: { model: 'b', variant: 'int8' }, value: 2 },
      { labels: { model: 'a', variant: 'fp32' }, value: 2 },
    ]);
    expect(m.counter('nv_inference_request_success', { variant: 'int8', model: 'b' })).toBe(2);
    expect(m.total('nv_inference_request_success')).toBe(4);
    expect(m.series('gateway_edge_fallbacks_total')).toEqual([]);
  });

  it('hands out copies, so a reader cannot change a count', () => {
    const m = new Metrics();
    m.inc('gateway_edge_fallbacks_total', { model: 'a' });
    const [s] = m.series('gateway_edge_fallbacks_total');
    s!.value = 99;
    s!.labels.model = 'z';
    expect(m.series('gateway_edge_fallbacks_total')).toEqual([{ labels: { model: 'a' }, value: 1 }]);
  });

  it('renders counters as Prometheus text with sorted, escaped labels', () => {
    const m = new Metrics();
    m.inc('nv_inference_request_failure', { status: '400', model: 'say "hi"' });
    const text = m.render();
    expect(text).toContain('# TYPE nv_inference_request_failure counter');
    expect(text).toContain('nv_inference_request_failure{model="say \\"hi\\"",status="400"} 1');
  });

  it('renders a counter kept elsewhere (Triton\'s queue time from the statistics) as read at each scrape', () => {
    const m = new Metrics();
    let queuedUs = 1500;
    m.counterFrom('nv_inference_queue_duration_us', 'Cumulative queue time (us)', () => [{ labels: { version: '1', model: 'mnist' }, value: queuedUs }]);
    expect(m.render()).toContain('# TYPE nv_inference_queue_duration_us counter\nnv_inference_queue_duration_us{model="mnist",version="1"} 1500\n');
    queuedUs = 4000;
    expect(m.render()).toContain('nv_inference_queue_duration_us{model="mnist",version="1"} 4000');
  });
});
