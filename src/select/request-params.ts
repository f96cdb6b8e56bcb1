/**
 * The routing parameters a request carries besides its tensors: the SLO (header `x-slo-ms` or
 * `parameters.slo_ms`), whether it is to be enforced (`x-slo-strict`), the caller's deadline
 * (`x-request-deadline-ms`, or Triton's `parameters.timeout` in µs), Triton's `parameters.priority` and a
 * pinned variant (`x-model-variant`), validated into 400s. They are read against
 * the model's manifest, so they live with the selector they feed, not with the wire protocol.
 *
 * A front reads the headers into a `RequestRouting` (`routingOf`), so the data plane never names a header.
 */
import { InvalidInput } from '../errors.js';
import { decimalHeader } from '../lib/text.js';
import { REQUEST_HEADER } from '../protocol/headers.js';
import { accuracyOf } from './facts.js';
import type { HintReader } from './hints.js';
import { clientHintsOf } from './hints.js';
import type { ModelManifest, VariantName } from '../registry/manifest.js';
import { VariantName as VariantNameSchema } from '../registry/manifest.js';
import { listsVariant } from '../lib/variant-list.js';

/**
 * What a request's headers ask of the routing, as sent. The values are checked by the validators below where
 * the data plane has always checked them, after the body is decoded and against the model and its policy: a
 * bad one is the same 400, in the same order, and counts as a failed inference like any other bad input.
 */
export interface RequestRouting {
  /** `x-slo-ms`: wins over `parameters.slo_ms` (`sloOf`). */
  slo_ms?: string | undefined;
  /** `x-slo-strict` (`strictSloOf`). */
  strict?: string | undefined;
  /** `x-request-deadline-ms`: the caller's own deadline (`callerDeadlineOf`). */
  deadline_ms?: string | undefined;
  /** `x-model-variant`: the variant pinned (`pinnedVariant`). */
  variant?: string | undefined;
  /** The request's Client Hints, and no other header. */
  hints: HintReader;
}

/** The routing headers of a request, from its case-insensitive header getter. */
export function routingOf(header: (name: string) => string | undefined): RequestRouting {
  return {
    slo_ms: header(REQUEST_HEADER.sloMs),
    strict: header(REQUEST_HEADER.sloStrict),
    deadline_ms: header(REQUEST_HEADER.requestDeadlineMs),
    variant: header(REQUEST_HEADER.modelVariant),
    hints: clientHintsOf(header),
  };
}

/**
 * SLO from the header (wins) or `parameters.slo_ms`; must be a positive number of ms. The header must be
 * plain decimal: `0x66` or `1e2` are refused, not read as 102 and 100.
 */
export function sloOf(header: string | undefined, param: unknown): number | undefined {
  const raw = header ?? param;
  if (raw === undefined) return undefined;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? (decimalHeader(raw) ?? NaN) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 3_600_000) throw new InvalidInput(`SLO must be a positive number of milliseconds, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * The caller's own deadline, `x-request-deadline-ms`: how many ms from now it will wait (a gateway tells its
 * origin so; relative, so the two clocks need not agree). Decimal digits only; absent means none.
 */
export function callerDeadlineOf(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const n = /^\s*\d{1,9}\s*$/.test(header) ? Number(header) : NaN;
  if (!(n >= 1)) throw new InvalidInput(`${REQUEST_HEADER.requestDeadlineMs} must be a whole positive number of milliseconds, got ${JSON.stringify(header.slice(0, 40))}`);
  return n;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

/** `x-slo-strict`: the caller asks to be refused (422) rather than served late when its SLO cannot be met. */
export function strictSloOf(header: string | undefined): boolean {
  if (header === undefined) return false;
  const v = header.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new InvalidInput(`${REQUEST_HEADER.sloStrict} must be 1 or 0 (true/false), got ${JSON.stringify(header.slice(0, 40))}`);
}

/** Longest `parameters.timeout` taken (µs): an hour, as for the SLO. */
const MAX_TIMEOUT_US = 3_600_000_000;

/**
 * Triton's per-request deadline, `parameters.timeout` in microseconds (0 or absent: none), as ms. The caller
 * set it, so unlike the policy's SLO it may refuse the request up front when the facts say it cannot be met.
 */
export function timeoutMsOf(param: unknown): number | undefined {
  if (param === undefined || param === 0) return undefined;
  if (typeof param !== 'number' || !Number.isSafeInteger(param) || param < 0 || param > MAX_TIMEOUT_US) {
    throw new InvalidInput(`parameters.timeout must be a whole number of microseconds from 0 to ${MAX_TIMEOUT_US}, got ${JSON.stringify(param)?.slice(0, 40)}`);
  }
  return param / 1000;
}

/**
 * Triton's `parameters.priority`: 1 is the highest level, `levels` the lowest, 0 or absent the model's
 * default level. Anything else is a 400 naming the range.
 */
export function priorityOf(param: unknown, levels: number, defaultLevel: number): number {
  if (param === undefined || param === 0) return defaultLevel;
  if (typeof param !== 'number' || !Number.isSafeInteger(param) || param < 0 || param > levels) {
    throw new InvalidInput(`parameters.priority must be a whole number from 0 (the default, level ${defaultLevel}) to ${levels}, got ${JSON.stringify(param)?.slice(0, 40)}`);
  }
  return param;
}

/** What a pin is checked against: the model's policy (ops win unless it allows client pins). */
export interface PinPolicy {
  variants: readonly VariantName[];
  accuracy_floor: number;
  allow_client_pins: boolean;
}

/**
 * The variant a client pins with `x-model-variant`. An unknown one is a 400 naming the model's variants;
 * one outside the policy's allowed variants or below its accuracy floor is a 400 naming the policy, unless
 * the policy sets `allow_client_pins`.
 */
export function pinnedVariant(header: string | undefined, model: ModelManifest, policy?: PinPolicy): VariantName | undefined {
  if (header === undefined || header === '') return undefined;
  const parsed = VariantNameSchema.safeParse(header.trim().toLowerCase());
  if (!parsed.success || !model.variants[parsed.data]) {
    throw new InvalidInput(`unknown variant '${header.slice(0, 40)}' for model '${model.name}'; it has ${Object.keys(model.variants).join(', ')}`);
  }
  const variant = parsed.data;
  if (policy && !policy.allow_client_pins) {
    if (!listsVariant(policy.variants, variant)) {
      throw new InvalidInput(`variant '${variant}' of model '${model.name}' is not allowed by its policy (variants: ${policy.variants.join(', ')}); ops can set allow_client_pins`);
    }
    const accuracy = accuracyOf(model.variants[variant]!);
    if (accuracy < policy.accuracy_floor) {
      throw new InvalidInput(`variant '${variant}' of model '${model.name}' has accuracy ${accuracy}, below its policy's accuracy_floor ${policy.accuracy_floor}; ops can set allow_client_pins`);
    }
  }
  return variant;
}
