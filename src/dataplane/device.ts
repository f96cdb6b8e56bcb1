/**
 * The device tier's two verbs: the plan (where a client should run a model, from its hints and the policy:
 * `selectDevice` weighed against the gateway's own `decide` for the same client) and the artifact (a
 * variant's file from the stores the engine loads, unless the policy forbids device download).
 */
import type { GatewayConfig } from '../config.js';
import { resolvePolicy } from '../config.js';
import type { DevicePolicyConfig } from '../config/device.js';
import { resolveDevice } from '../config/device.js';
import type { ArtifactStore, ByteRange } from '../engine/model-store.js';
import { EngineFailure, Forbidden, NotFound } from '../errors.js';
import { DATATYPE_INFO } from '../protocol/datatypes.js';
import type { ModelManifest, VariantName } from '../registry/manifest.js';
import type { DeviceDecision } from '../select/device.js';
import { selectDevice } from '../select/device.js';
import type { DeviceQuery } from '../select/device-params.js';
import type { HintReader, NetworkProfile } from '../select/hints.js';
import { networkProfile } from '../select/hints.js';
import type { DecisionState } from './decide.js';
import { decide, decisionFacts } from './decide.js';
import { inListOrder, listsVariant } from '../lib/variant-list.js';

/** A device plan: the decision, with the profile and SLO it was made for. */
export interface DevicePlan {
  decision: DeviceDecision;
  network: NetworkProfile & { from_query: string[] };
  slo_ms: number;
}

/**
 * Bytes of a one-item request in the binary tensor extension, what a client sending the gateway one item
 * uploads: every input's fixed dims, dynamic ones (batch, sequence) as 1.
 */
export function oneItemBytes(model: ModelManifest): number {
  return model.inputs.reduce((sum, t) => {
    const size = t.datatype === 'BYTES' ? 1 : DATATYPE_INFO[t.datatype].bytes;
    return sum + t.shape.reduce((n: number, d) => n * (d > 0 ? d : 1), 1) * size;
  }, 0);
}

/** Which of `names` some store holds at the manifest's size (a stale object is not offered). */
async function downloadable(model: ModelManifest, names: readonly VariantName[], stores: readonly ArtifactStore[]): Promise<Set<VariantName>> {
  const found = new Set<VariantName>();
  for (const name of names) {
    const v = model.variants[name];
    if (!v) continue;
    for (const store of stores) {
      const size = await store.size(model, name).catch(() => undefined);
      if (size === undefined) continue;
      if (size === v.bytes) found.add(name);
      break;
    }
  }
  return found;
}

/** The plan for one client: its Client Hints (`sent`), overridden by the query's parameters. */
export async function devicePlan(model: ModelManifest, q: DeviceQuery, sent: HintReader, state: DecisionState, stores: readonly ArtifactStore[]): Promise<DevicePlan> {
  const { config } = state;
  const policy = resolvePolicy(config, model.name, { slo_ms: q.slo_ms });
  const device = resolveDevice(config.device, config.models[model.name]?.device);
  const hints = (name: string) => q.hints[name.toLowerCase()] ?? sent(name);
  const network = networkProfile(hints, config.network_defaults);
  const edge = decide(model, policy, { items: 1, requestBytes: oneItemBytes(model), hints }, state);
  const decision = selectDevice({
    variants: decisionFacts(model, state),
    items: 1,
    network,
    policy: { ...device, accuracy_floor: policy.accuracy_floor, fidelity_tolerance: policy.fidelity_tolerance },
    slo_ms: policy.slo_ms,
    cached: q.cached,
    downloadable: device.enabled && device.allow ? await downloadable(model, inListOrder(device.variants, Object.keys(model.variants)), stores) : new Set(),
    edge,
    request_overhead_ms: config.edge.request_overhead_ms,
  });
  return { decision, network: { ...network, from_query: q.from_query }, slo_ms: policy.slo_ms };
}

/** Why a model's variants may not go to devices, or undefined when they may. */
export function deviceRefusal(model: ModelManifest, config: GatewayConfig): string | undefined {
  const device: DevicePolicyConfig = resolveDevice(config.device, config.models[model.name]?.device);
  if (!device.enabled) return 'the device tier is disabled (device.enabled = false)';
  if (!device.allow) return `device download of model '${model.name}' is forbidden by policy (models.${model.name}.device.allow = false)`;
  return undefined;
}

/** A variant's file as a client downloads it: its size and digest from the manifest, its bytes from a store. */
export interface Artifact {
  model: ModelManifest;
  variant: VariantName;
  bytes: number;
  sha256: string;
  open(range?: ByteRange): Promise<ReadableStream<Uint8Array>>;
}

/**
 * The artifact of `variant`, under the same device policy the plan applies: 403 when the policy forbids device
 * download, does not list the variant (`device.variants`) or caps downloads below its file
 * (`device.max_download_bytes`); 404 when the model has no such variant or no store holds it (a variant served
 * only at the origin), 503 when the stored object is not the size the manifest says (its ETag would lie).
 */
export async function findArtifact(model: ModelManifest, name: string, config: GatewayConfig, stores: readonly ArtifactStore[]): Promise<Artifact> {
  const refusal = deviceRefusal(model, config);
  if (refusal) throw new Forbidden(refusal);
  const variant = name as VariantName;
  const v = Object.hasOwn(model.variants, variant) ? model.variants[variant] : undefined;
  if (!v) throw new NotFound(`model '${model.name}' has no variant '${name.slice(0, 40)}'; it has ${Object.keys(model.variants).join(', ')}`);
  const device = resolveDevice(config.device, config.models[model.name]?.device);
  if (!listsVariant(device.variants, variant)) {
    throw new Forbidden(`variant '${variant}' of model '${model.name}' may not go to devices: the device policy lists ${device.variants.join(', ')} (device.variants)`);
  }
  for (const store of stores) {
    const size = await store.size(model, variant);
    if (size === undefined) continue;
    if (size !== v.bytes) throw new EngineFailure(`the stored file of ${model.name}/${variant} has ${size} bytes, its manifest says ${v.bytes}`);
    if (v.bytes > device.max_download_bytes) {
      throw new Forbidden(`the file of ${model.name}/${variant} has ${v.bytes} bytes, over the device download cap of ${device.max_download_bytes} (device.max_download_bytes)`);
    }
    const open = async (range?: ByteRange) => {
      const body = await store.read(model, variant, range);
      if (!body) throw new EngineFailure(`the file of ${model.name}/${variant} went missing from its store`);
      return body;
    };
    return { model, variant, bytes: v.bytes, sha256: v.sha256, open };
  }
  throw new NotFound(`variant '${variant}' of model '${model.name}' is served only at the origin: this gateway holds no file of it to download`);
}
