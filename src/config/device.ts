/**
 * The device tier's policy (issue 13): whether a client may download a variant and run it itself, how big a
 * download may be, which devices are strong enough, and how fast they are assumed to be. Global under
 * `device`, overridable per model under `models.<name>.device`; `resolveDevice` applies the precedence
 * model > global > default (the request only brings its SLO and its device profile, read by the selector).
 */
import { z } from 'zod';
import { VariantList } from './variant-list.js';

const MB = 1_000_000;

/** Every knob of the device tier, with its default. */
export const DeviceFields = {
  enabled: z.boolean().describe('Whether the gateway offers the device tier at all (off: every plan says edge, artifacts 403).').default(true),
  allow: z.boolean().describe('Whether this model\'s variants may be downloaded to devices (off: plan says edge, artifacts 403).').default(true),
  max_download_bytes: z.number().int().positive().describe('Largest variant file a plan may send a device to download (bytes).').default(10 * MB),
  save_data_max_download_bytes: z.number().int().positive().describe('The same under `Save-Data: on`: the user asked to spend fewer bytes.').default(2 * MB),
  min_memory_gb: z.number().nonnegative().describe('Devices that say they have less memory (Device-Memory, GB) run nothing locally.').default(2),
  max_memory_fraction: z.number().positive().max(1).describe('Share of the device\'s memory a variant\'s measured WASM memory may take (a browser tab is not the whole device). Checked only when the device says its memory.').default(0.25),
  speed_factor: z.number().positive().describe('Device compute = the measured WASM profile x this, for a non-mobile device. A prior, not a measurement: the profiles come from the bench machine, and a laptop\'s browser is assumed somewhat slower.').default(1.5),
  mobile_speed_factor: z.number().positive().describe('The same for a mobile device (`Sec-CH-UA-Mobile: ?1` or `mobile=1`): a prior too.').default(3),
  fidelity_slack: z.number().min(0).max(1).describe('A download costs the user bytes and the first call time: among device variants this close in fidelity to the best one, the one with the fastest first call wins (a small int8 over an fp32 four times its size).').default(0.01),
  variants: VariantList.describe('Variants a device may run, in order of preference (ties in fidelity and first-call time go to the earlier); `*` stands for every variant not named before it.').default(['int8', 'fp16', 'fp32']),
  max_slowdown: z.number().positive().describe('Once downloaded, a device call costs its run alone: it is chosen only if that is at most this multiple of the edge\'s predicted time per call (network + gateway + compute). 1: never slower than the edge.').default(1),
};

export const DeviceSchema = z.object(DeviceFields).strict();
export type DevicePolicyConfig = z.infer<typeof DeviceSchema>;

/** Per-model overrides: any field, none defaulted (so the global value shows through where unset). */
export const ModelDevice = z
  .object(Object.fromEntries(Object.entries(DeviceFields).map(([k, v]) => [k, v.unwrap().optional()])) as { [K in keyof typeof DeviceFields]: z.ZodOptional<ReturnType<(typeof DeviceFields)[K]['unwrap']>> })
  .strict();
export type ModelDevice = z.infer<typeof ModelDevice>;

/** The device policy of one model: model > global (whose defaults the schema filled). */
export function resolveDevice(global: DevicePolicyConfig, model: ModelDevice | undefined): DevicePolicyConfig {
  const out = { ...global } as Record<string, unknown>;
  for (const [k, v] of Object.entries(model ?? {})) if (v !== undefined) out[k] = v;
  return out as DevicePolicyConfig;
}
