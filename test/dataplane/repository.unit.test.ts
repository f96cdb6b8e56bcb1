/**
 * Triton's repository extension over the deployed manifests: the index says which models can be served,
 * load opens the edge sessions of the variants the policy allows that fit, in policy order.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, resolvePolicy } from '../../src/config.js';
import { loadableVariants, loadModel, repositoryIndex } from '../../src/dataplane/repository.js';
import type { ModelManifest } from '../../src/registry/manifest.js';
import { Registry } from '../../src/registry/registry.js';
import { readManifests } from '../../tools/lib/manifests.js';

const registry = new Registry(readManifests('models'));
const mnist = registry.get('mnist');
const large = registry.get('transformer-large');
const MiB = 1024 * 1024;

describe('the repository index', () => {
  const plane = { registry, modelStatus: async (m: ModelManifest) => ({ ready: m.name !== 'transformer-large' }) };

  it('lists every model with its version, READY or UNAVAILABLE with a reason', async () => {
    const index = await repositoryIndex(plane);
    expect(index.map((e) => e.name)).toEqual(registry.list().map((m) => m.name));
    expect(index.find((e) => e.name === 'mnist')).toEqual({ name: 'mnist', version: '1', state: 'READY', reason: '' });
    const down = index.find((e) => e.name === 'transformer-large')!;
    expect(down.state).toBe('UNAVAILABLE');
    expect(down.reason).toMatch(/origin/);
  });

  it('lists only the ready models when asked', async () => {
    const index = await repositoryIndex(plane, true);
    expect(index.every((e) => e.state === 'READY')).toBe(true);
    expect(index.map((e) => e.name)).not.toContain('transformer-large');
  });
});

describe('loading a model', () => {
  it('loads the variants the policy allows that fit the edge budget, in policy order', () => {
    expect(loadableVariants(mnist, { variants: ['int8', 'fp32'], edge_memory_budget_bytes: 96 * MiB })).toEqual(['int8', 'fp32']);
    expect(loadableVariants(large, resolvePolicy(parseConfig({}), large.name))).toEqual([]);
    expect(loadableVariants(mnist, { variants: ['fp32'], edge_memory_budget_bytes: 1 })).toEqual([]);
  });

  it('warms each loadable variant one after another and says which', async () => {
    const warmed: string[] = [];
    const edge = { warm: async (m: ModelManifest, v: string) => void warmed.push(`${m.name}/${v}`) };
    expect(await loadModel(mnist, { variants: ['fp16', 'int8w'], edge_memory_budget_bytes: 96 * MiB }, edge)).toEqual(['fp16', 'int8w']);
    expect(warmed).toEqual(['mnist/fp16', 'mnist/int8w']);
  });

  it('loads nothing on a backend that cannot warm', async () => {
    expect(await loadModel(mnist, { variants: ['fp32'], edge_memory_budget_bytes: 96 * MiB }, {})).toEqual([]);
  });

  it('fails with the warm\'s own error', async () => {
    const edge = { warm: async () => Promise.reject(new Error('no file')) };
    await expect(loadModel(mnist, { variants: ['fp32'], edge_memory_budget_bytes: 96 * MiB }, edge)).rejects.toThrow('no file');
  });
});
