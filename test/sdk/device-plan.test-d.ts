/**
 * The SDK's DevicePlan (sdk/src/types.ts) is a hand copy of the plan route's schema (routes/v2/device-schemas.ts):
 * the SDK imports nothing of the gateway, so nothing else ties the two. This file does, at type level: it is
 * compiled by `npm run typecheck` (tsconfig.json includes test/) and fails it when either side gains, loses or
 * changes a field. Variant names are strings on both sides (an open set).
 */
import type { z } from '@hono/zod-openapi';
import type { DevicePlanBody } from '../../routes/v2/device-schemas.js';
import type { DevicePlan } from '../../sdk/src/types.js';

/** The plan the route answers, as z.infer reads its schema. */
type Served = z.infer<typeof DevicePlanBody>;

/** True only when A and B are the same type (optional fields and readonly included). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// Each direction on its own first, for an error message that names the field.
/** Every plan the gateway sends is one the SDK's type describes. */
export const sdkReadsEveryPlan = (plan: Served): DevicePlan => plan;
/** Every field the SDK's type promises, the gateway sends. */
export const gatewaySendsWhatSdkExpects = (plan: DevicePlan): Served => plan;
/** And nothing optional on either side that the other lacks. */
export const samePlan: Same<DevicePlan, Served> = true;
