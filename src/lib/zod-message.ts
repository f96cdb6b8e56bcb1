/**
 * How a failed zod parse reads in an error message, the same everywhere (config, manifests, request bodies,
 * admin bodies, route parameters): each issue as `path: message`, its path dotted (`inputs.0.shape`) and
 * `(root)` when the value itself is wrong. Structural types only, so any zod version's issues fit.
 */

/** What this module reads of a zod issue. */
export interface ZodIssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** The dotted path of an issue (`policy.slo_ms`, `inputs.0`), or `(root)` when it is about the whole value. */
export function issuePath(issue: ZodIssueLike): string {
  return issue.path.map(String).join('.') || '(root)';
}

/**
 * A failed parse as text: every issue as `path: message`, joined by `; `, or only the first with
 * `{ first: true }` (for messages that name one problem at a time).
 */
export function zodMessage(error: { readonly issues: readonly ZodIssueLike[] }, options: { first?: boolean } = {}): string {
  const issues = options.first ? error.issues.slice(0, 1) : error.issues;
  return issues.map((i) => `${issuePath(i)}: ${i.message}`).join('; ');
}
