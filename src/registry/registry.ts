/**
 * The model registry: every model the gateway knows (from the manifests under models/), looked up by name
 * and version, and how many latency-profile items a request for one of them is. What the selector makes of
 * a variant lives with the selector (src/select/facts.ts): the registry does not know the selector.
 */
import { ModelNotFound } from '../errors.js';
import { zodMessage } from '../lib/zod-message.js';
import type { ModelManifest } from './manifest.js';
import { ModelManifest as ModelManifestSchema } from './manifest.js';

/**
 * How many latency-profile items a request is: the element count of the profile's item input divided by
 * the elements of one item (so a 640x640 image is 400 tiles, a [4, 128] token batch is 16 sequences of
 * 32); without an item spec, the batch size.
 */
export function requestItems(model: ModelManifest, inputs: readonly { name: string; shape: readonly number[] }[]): number {
  const spec = Object.values(model.variants)[0]?.latency.item;
  const tensor = spec && inputs.find((t) => t.name === spec.input);
  if (spec && tensor) return Math.max(1, tensor.shape.reduce((a, b) => a * b, 1) / spec.elements);
  return model.batch_axis ? Math.max(1, inputs[0]?.shape[0] ?? 1) : 1;
}

export class Registry {
  private readonly models = new Map<string, ModelManifest>();

  /** Validates every manifest; a bad one fails startup with its name and the field. */
  constructor(manifests: readonly unknown[]) {
    for (const raw of manifests) {
      const parsed = ModelManifestSchema.safeParse(raw);
      if (!parsed.success) {
        const name = (raw as { name?: unknown })?.name;
        throw new Error(`invalid manifest for model ${JSON.stringify(name)} at ${zodMessage(parsed.error, { first: true })}`);
      }
      this.models.set(parsed.data.name, parsed.data);
    }
  }

  list(): ModelManifest[] {
    return [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The model, or ModelNotFound (404) naming what was unknown. */
  get(name: string, version?: string): ModelManifest {
    const model = this.models.get(name);
    if (!model) throw new ModelNotFound(name);
    if (version !== undefined && version !== model.version) throw new ModelNotFound(name, version);
    return model;
  }
}
