/**
 * The explain route documents its body and answer with zod schemas (routes/admin.ts) of types the core declares
 * on its own (src/dataplane/decide.ts, src/select/select.ts, src/select/hints.ts). Nothing at run time ties
 * them: the answer is the core's object, sent as is. This file does, at type level: it is compiled by
 * `npm run typecheck` (tsconfig.json includes test/) and fails it when a field is added to, dropped from or
 * changed on either side, optional ones included. (The policy's schema is the core's own: nothing to check.)
 */
import type { z } from '@hono/zod-openapi';
import type { Candidate as CandidateSchema, ExplainRequest, Explanation as ExplanationSchema, NetworkProfile as NetworkProfileSchema, RouteDecision as RouteDecisionSchema } from '../../routes/admin.js';
import type { ExplainedDecision, ExplainQuery, Explanation } from '../../src/dataplane/decide.js';
import type { NetworkProfile } from '../../src/select/hints.js';
import type { Candidate } from '../../src/select/select.js';

/** A value of each type is a value of the other (fields and their types, recursively). */
type MutuallyAssignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/**
 * And the same field names: mutual assignability alone lets an optional field live on one side only. Nested
 * objects are checked the same way on their own lines below.
 */
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type Agrees<A, B> = MutuallyAssignable<A, B> extends true ? SameKeys<A, B> : false;

// Each direction on its own first, for an error message that names the field.
/** Every candidate the core makes is one the schema documents. */
export const candidateDocumented = (c: Candidate): z.infer<typeof CandidateSchema> => c;
/** Every field the schema documents, the core's candidate has. */
export const candidateMade = (c: z.infer<typeof CandidateSchema>): Candidate => c;
export const sameCandidate: Agrees<Candidate, z.infer<typeof CandidateSchema>> = true;

export const decisionDocumented = (d: ExplainedDecision): z.infer<typeof RouteDecisionSchema> => d;
export const decisionMade = (d: z.infer<typeof RouteDecisionSchema>): ExplainedDecision => d;
export const sameDecision: Agrees<ExplainedDecision, z.infer<typeof RouteDecisionSchema>> = true;

export const networkDocumented = (n: NetworkProfile): z.infer<typeof NetworkProfileSchema> => n;
export const networkMade = (n: z.infer<typeof NetworkProfileSchema>): NetworkProfile => n;
export const sameNetwork: Agrees<NetworkProfile, z.infer<typeof NetworkProfileSchema>> = true;

export const explanationDocumented = (e: Explanation): z.infer<typeof ExplanationSchema> => e;
export const explanationMade = (e: z.infer<typeof ExplanationSchema>): Explanation => e;
export const sameExplanation: Agrees<Explanation, z.infer<typeof ExplanationSchema>> = true;
export const sameLearning: Agrees<Explanation['learning'], z.infer<typeof ExplanationSchema>['learning']> = true;

/** The explain body, once parsed and without its model, is the core's what-if query. */
type ParsedQuery = Omit<z.infer<typeof ExplainRequest>, 'model'>;
export const queryTaken = (q: ParsedQuery): ExplainQuery => q;
export const queryDocumented = (q: ExplainQuery): ParsedQuery => q;
export const sameQuery: Agrees<ExplainQuery, ParsedQuery> = true;
