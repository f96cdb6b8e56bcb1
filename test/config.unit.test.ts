/**
 * Gateway configuration: defaults, JSON text input, errors that name the bad field, the ORIGIN_URL
 * override, and the one precedence rule (request > model > global).
 */
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../src/config.js';
import { ConfigError, parseConfig, resolvePolicy } from '../src/config.js';
import { resolveDevice } from '../src/config/device.js';

const MiB = 1024 * 1024;

/** The ConfigError parseConfig throws for `raw`, or fails the test when it throws none. */
function configError(raw: unknown, overrides: { originUrl?: string } = {}): ConfigError {
  try {
    parseConfig(raw, overrides);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

describe('parseConfig', () => {
  it('fills every default from an empty or missing config', () => {
    const config = parseConfig(undefined);
    expect(config.site).toBe('edge');
    expect(config.policy).toEqual({
      slo_ms: 500,
      variants: ['*'],
      accuracy_floor: 0,
      save_data_fidelity_slack: 0.01,
      fidelity_tolerance: 0.0005,
      edge_memory_budget_bytes: 96 * MiB,
      origin_enabled: true,
      batching: true,
      max_batch_size: 32,
      max_queue_delay_ms: 2,
      allow_client_pins: false,
      allow_non_finite: false,
      refuse_predicted_miss: false,
      priority_levels: 2,
      default_priority_level: 2,
      unverified_fidelity: 'avoid',
    });
    expect(config.models).toEqual({});
    expect(config.limits).toEqual({ max_body_bytes: 16 * MiB, max_tensor_elements: 4 * MiB, max_inputs: 32, max_batch: 256, max_output_elements: 2 * MiB, max_json_depth: 64, max_parameters: 32, max_parameter_bytes: 16 * 1024 });
    expect(config.edge).toEqual({ speed_factor: 1, variant_cooldown_ms: 30_000, isolate_memory_budget_bytes: 80 * MiB, memory_wait_ms: 250, runtime_init_ms: expect.any(Number), request_overhead_ms: expect.any(Number), eager_runtime: false, warm_after_answer: true, warm: [] });
    expect(config.network_defaults).toEqual({ rtt_ms: 50, downlink_mbps: 10, mobile_rtt_ms: 150, mobile_downlink_mbps: 1.5 });
    expect(config.auth).toEqual({ api_keys_sha256: [], kv_keys: false, allow_anonymous: false, rate_limit: true, rate_limit_period_s: 60, failed_auth_limit: 20, failed_auth_window_s: 60, cors_origins: [] });
    expect(config.origin.url).toBeUndefined();
    expect(config.origin).toMatchObject({ timeout_ms: 10_000, deadline_grace_ms: 100, expected_rtt_ms: 40, speed_factor: 0.5, variant: 'fp32' });
    expect(parseConfig({})).toEqual(config);
    expect(parseConfig(null)).toEqual(config);
  });

  it('keeps given values and fills the rest of their section with defaults', () => {
    const config = parseConfig({ policy: { slo_ms: 250 }, limits: { max_batch: 16 } });
    expect(config.policy).toMatchObject({ slo_ms: 250, accuracy_floor: 0, origin_enabled: true });
    expect(config.limits).toEqual({ max_body_bytes: 16 * MiB, max_tensor_elements: 4 * MiB, max_inputs: 32, max_batch: 16, max_output_elements: 2 * MiB, max_json_depth: 64, max_parameters: 32, max_parameter_bytes: 16 * 1024 });
  });

  it('accepts the config as JSON text, as a Workers var may arrive', () => {
    const config = parseConfig('{"policy":{"slo_ms":250},"models":{"mnist":{"slo_ms":100}}}');
    expect(config.policy.slo_ms).toBe(250);
    expect(config.models.mnist).toEqual({ slo_ms: 100 });
  });

  it('says when the JSON text is not valid JSON', () => {
    expect(configError('{"policy": ').message).toMatch(/^GATEWAY_CONFIG is not valid JSON: /);
  });

  it.each([
    { name: 'a negative SLO', raw: { policy: { slo_ms: -1 } }, path: /policy\.slo_ms: / },
    { name: 'a zero SLO', raw: { policy: { slo_ms: 0 } }, path: /policy\.slo_ms: / },
    { name: 'an SLO given as text', raw: { policy: { slo_ms: '500' } }, path: /policy\.slo_ms: / },
    { name: 'a malformed variant name', raw: { policy: { variants: ['fp32', 'FP 8'] } }, path: /policy\.variants\.1: / },
    { name: 'an empty variant list', raw: { policy: { variants: [] } }, path: /policy\.variants: / },
    { name: 'an accuracy floor above 1', raw: { policy: { accuracy_floor: 1.5 } }, path: /policy\.accuracy_floor: / },
    { name: 'a fractional memory budget', raw: { policy: { edge_memory_budget_bytes: 1.5 } }, path: /policy\.edge_memory_budget_bytes: / },
    { name: 'an unknown policy key', raw: { policy: { slo: 100 } }, path: /policy: .*"slo"/ },
    { name: 'an unknown key in a model policy', raw: { models: { mnist: { bogus: 1 } } }, path: /models\.mnist: .*"bogus"/ },
    { name: 'a bad value in a model policy', raw: { models: { mnist: { slo_ms: -5 } } }, path: /models\.mnist\.slo_ms: / },
    { name: 'a malformed variant name in a model policy', raw: { models: { mnist: { variants: ['fp8!'] } } }, path: /models\.mnist\.variants\.0: / },
    { name: 'a fractional batch limit', raw: { limits: { max_batch: 1.5 } }, path: /limits\.max_batch: / },
    { name: 'a zero body limit', raw: { limits: { max_body_bytes: 0 } }, path: /limits\.max_body_bytes: / },
    { name: 'an origin URL that is not a URL', raw: { origin: { url: 'not a url' } }, path: /origin\.url: / },
    { name: 'a malformed origin variant', raw: { origin: { variant: '-bf16' } }, path: /origin\.variant: / },
    { name: 'a negative deadline grace', raw: { origin: { deadline_grace_ms: -1 } }, path: /origin\.deadline_grace_ms: / },
    { name: 'a zero per-request cost limit at the origin', raw: { origin_limits: { max_request_cost_ms: 0 } }, path: /origin_limits\.max_request_cost_ms: / },
    { name: 'a retired deadline knob (the deadline is now the budget plus deadline_grace_ms)', raw: { origin: { min_timeout_ms: 250, slo_deadline_factor: 2 } }, path: /origin: .*"min_timeout_ms".*"slo_deadline_factor"/ },
    { name: 'a refusal switch that is not a boolean', raw: { models: { mnist: { refuse_predicted_miss: 'yes' } } }, path: /models\.mnist\.refuse_predicted_miss: / },
    { name: 'a negative edge speed factor', raw: { edge: { speed_factor: -1 } }, path: /edge\.speed_factor: / },
    { name: 'an unknown site', raw: { site: 'cloud' }, path: /site: / },
    { name: 'an unknown top-level key', raw: { polcy: {} }, path: /\(root\): .*"polcy"/ },
    { name: 'a config that is not an object', raw: 42, path: /\(root\): / },
  ])('rejects $name, naming the field path', ({ raw, path }) => {
    const err = configError(raw);
    expect(err.message).toMatch(/^invalid gateway config: /);
    expect(err.message).toMatch(path);
  });

  it('names every bad field, not just the first', () => {
    const err = configError({ policy: { slo_ms: -1 }, limits: { max_batch: 0 }, origin: { variant: 'X' } });
    expect(err.message).toMatch(/policy\.slo_ms: .*; limits\.max_batch: .*; origin\.variant: /);
  });

  it('refuses an admin token that is also an API key', () => {
    const hash = 'a'.repeat(64);
    expect(configError({ auth: { api_keys_sha256: [hash], admin_token_sha256: hash } }).message).toBe(
      'invalid gateway config: auth.admin_token_sha256: the admin token is also an API key: it must open the admin surfaces only; give clients keys of their own',
    );
    expect(parseConfig({ auth: { api_keys_sha256: ['b'.repeat(64)], admin_token_sha256: hash } }).auth.admin_token_sha256).toBe(hash);
  });

  it('takes the origin URL from ORIGIN_URL', () => {
    expect(parseConfig({}, { originUrl: 'http://127.0.0.1:9000' }).origin.url).toBe('http://127.0.0.1:9000');
  });

  it('lets ORIGIN_URL win over the URL in the config', () => {
    expect(parseConfig({ origin: { url: 'https://origin.example' } }, { originUrl: 'https://other.example' }).origin.url).toBe('https://other.example');
  });

  it('keeps the configured origin URL when ORIGIN_URL is empty or absent', () => {
    expect(parseConfig({ origin: { url: 'https://origin.example' } }, { originUrl: '' }).origin.url).toBe('https://origin.example');
    expect(parseConfig({ origin: { url: 'https://origin.example' } }).origin.url).toBe('https://origin.example');
  });

  it('rejects an ORIGIN_URL that is not a URL, naming it', () => {
    expect(configError({}, { originUrl: 'nope' }).message).toBe('invalid gateway config: ORIGIN_URL: not a URL: nope');
  });

  it('rejects an origin URL without an http(s) scheme, such as a bare host:port', () => {
    // WHATWG parses "localhost:8788" as scheme "localhost"; fetch() would fail on every origin call.
    expect(configError({}, { originUrl: 'localhost:8788' }).message).toMatch(/ORIGIN_URL: not a URL: localhost:8788/);
    expect(configError({ origin: { url: 'localhost:8788' } }).message).toMatch(/origin\.url: /);
  });
});

describe('resolvePolicy', () => {
  const config: GatewayConfig = parseConfig({
    policy: { slo_ms: 500, accuracy_floor: 0.5, variants: ['fp32', 'int8'] },
    models: { mnist: { slo_ms: 100, accuracy_floor: 0.9 } },
  });

  it('uses the global policy, filled with defaults, for a model without its own', () => {
    const p = resolvePolicy(config, 'other');
    expect(p).toMatchObject({ slo_ms: 500, accuracy_floor: 0.5, variants: ['fp32', 'int8'], origin_enabled: true, save_data_fidelity_slack: 0.01 });
    expect(Object.values(p.sources).every((s) => s === 'global')).toBe(true);
  });

  it('lets the model policy override the global policy, field by field', () => {
    const p = resolvePolicy(config, 'mnist');
    expect(p).toMatchObject({ slo_ms: 100, accuracy_floor: 0.9, variants: ['fp32', 'int8'] });
    expect(p.sources).toEqual({
      slo_ms: 'model',
      accuracy_floor: 'model',
      variants: 'global',
      save_data_fidelity_slack: 'global',
      fidelity_tolerance: 'global',
      edge_memory_budget_bytes: 'global',
      origin_enabled: 'global',
      batching: 'global',
      max_batch_size: 'global',
      max_queue_delay_ms: 'global',
      allow_client_pins: 'global',
      allow_non_finite: 'global',
      refuse_predicted_miss: 'global',
      priority_levels: 'global',
      default_priority_level: 'global',
      unverified_fidelity: 'global',
    });
  });

  it('lets the request SLO override the model and global SLO', () => {
    const p = resolvePolicy(config, 'mnist', { slo_ms: 42 });
    expect(p.slo_ms).toBe(42);
    expect(p.sources.slo_ms).toBe('request');
    expect(p.accuracy_floor).toBe(0.9);
    expect(resolvePolicy(config, 'other', { slo_ms: 42 }).sources.slo_ms).toBe('request');
  });

  it('ignores an undefined request SLO', () => {
    const p = resolvePolicy(config, 'mnist', { slo_ms: undefined });
    expect(p.slo_ms).toBe(100);
    expect(p.sources.slo_ms).toBe('model');
  });

  it('keeps a model value that is falsy but set', () => {
    const p = resolvePolicy(parseConfig({ models: { m: { origin_enabled: false, accuracy_floor: 0 } }, policy: { accuracy_floor: 0.5 } }), 'm');
    expect(p).toMatchObject({ origin_enabled: false, accuracy_floor: 0 });
    expect(p.sources).toMatchObject({ origin_enabled: 'model', accuracy_floor: 'model' });
  });

  it('does not let one resolution leak into the config', () => {
    resolvePolicy(config, 'mnist', { slo_ms: 1 });
    expect(config.policy.slo_ms).toBe(500);
    expect(config.models.mnist!.slo_ms).toBe(100);
  });
});

describe('the device tier config', () => {
  it('defaults to on, a 10 MB budget (2 MB with Save-Data), 2 GB devices and int8, fp16, fp32', () => {
    expect(parseConfig({}).device).toMatchObject({
      enabled: true,
      allow: true,
      max_download_bytes: 10_000_000,
      save_data_max_download_bytes: 2_000_000,
      min_memory_gb: 2,
      speed_factor: 1.5,
      mobile_speed_factor: 3,
      variants: ['int8', 'fp16', 'fp32'],
    });
  });

  it('lets a model override fields, the global value showing through the others', () => {
    const config = parseConfig({ device: { max_download_bytes: 5_000_000 }, models: { mnist: { device: { allow: false } } } });
    expect(resolveDevice(config.device, config.models.mnist?.device)).toMatchObject({ allow: false, max_download_bytes: 5_000_000, min_memory_gb: 2 });
    expect(resolveDevice(config.device, config.models.other?.device)).toMatchObject({ allow: true, max_download_bytes: 5_000_000 });
  });

  it('names a bad device field', () => {
    expect(configError({ device: { variants: ['fp 8'] } }).message).toMatch(/device\.variants/);
    expect(configError({ models: { mnist: { device: { max_download_bytes: -1 } } } }).message).toMatch(/models\.mnist\.device\.max_download_bytes/);
    expect(configError({ device: { surprise: 1 } }).message).toMatch(/device/);
  });
});
