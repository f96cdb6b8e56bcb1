/**
 * Triton's model repository extension over a repository that is fixed at deploy time (the manifests bundled
 * with the Worker): every model is always available, so "load" and "unload" are about this process's memory,
 * not about what can be served. Load opens the edge sessions of the variants the router may choose at the
 * edge (Triton's load, ahead of the first request); unload releases them. A model stays READY after an
 * unload whenever it can still be served (a session is opened again on demand, or the origin answers), which
 * is what the index reports.
 */
import type { Backend } from '../backend.js';
import type { ResolvedPolicy } from '../config.js';
import type { ModelManifest, VariantName } from '../registry/manifest.js';
import { fitsEdge } from '../select/facts.js';
import { inListOrder } from '../lib/variant-list.js';

/** One entry of Triton's `$repository_index_response`. */
export interface RepositoryEntry {
  name: string;
  version: string;
  state: 'READY' | 'UNAVAILABLE';
  reason: string;
}

/** What the index reads of the plane. */
export interface RepositoryView {
  registry: { list(): ModelManifest[] };
  modelStatus(model: ModelManifest): Promise<{ ready: boolean }>;
}

/** Every model with its state; only the ready ones when `readyOnly` (Triton's `{"ready": true}`). */
export async function repositoryIndex(plane: RepositoryView, readyOnly = false): Promise<RepositoryEntry[]> {
  const entries = await Promise.all(
    plane.registry.list().map(async (m): Promise<RepositoryEntry> => {
      const { ready } = await plane.modelStatus(m);
      return ready
        ? { name: m.name, version: m.version, state: 'READY', reason: '' }
        : { name: m.name, version: m.version, state: 'UNAVAILABLE', reason: 'no variant fits the edge memory budget and the origin is down or disabled' };
    }),
  );
  return readyOnly ? entries.filter((e) => e.state === 'READY') : entries;
}

/** The variants a load opens at the edge: those the policy allows that fit the edge's memory budget, in policy order. */
export function loadableVariants(model: ModelManifest, policy: Pick<ResolvedPolicy, 'variants' | 'edge_memory_budget_bytes'>): VariantName[] {
  return inListOrder(policy.variants, Object.keys(model.variants)).filter((v) => {
    const variant = model.variants[v];
    return variant !== undefined && fitsEdge(variant, policy.edge_memory_budget_bytes);
  });
}

/**
 * Opens the edge sessions of `model`'s loadable variants, one after another (one WASM thread), and says which.
 * A failed load rejects with its domain error. Where together they exceed the isolate's memory budget, the
 * session cache releases the least recently used idle ones to fit, as it does for requests.
 */
export async function loadModel(model: ModelManifest, policy: Pick<ResolvedPolicy, 'variants' | 'edge_memory_budget_bytes'>, edge: Pick<Backend, 'warm'>): Promise<VariantName[]> {
  if (!edge.warm) return [];
  const variants = loadableVariants(model, policy);
  for (const v of variants) await edge.warm(model, v);
  return variants;
}
