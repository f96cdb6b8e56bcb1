/**
 * Lists of variant names as config states them (`policy.variants`, `device.variants`; schema in
 * src/config/variant-list.ts). Variants are an open set (a model's folder may hold any), so a list may say
 * `*`: every variant of the model it does not name before.
 */

/** In a variant list (`variants`, `device.variants`): every variant of the model not named before it. */
export const ANY_VARIANT = '*';

/** Whether `list` admits `name`: named in it, or it holds `*`. */
export function listsVariant(list: readonly string[], name: string): boolean {
  return list.includes(name) || list.includes(ANY_VARIANT);
}

/** The variants of `names` that `list` admits, in its order: named ones where named, `*` standing for the rest in their own order. */
export function inListOrder(list: readonly string[], names: readonly string[]): string[] {
  const named = new Set(list.filter((n) => n !== ANY_VARIANT));
  return list.flatMap((n) => (n === ANY_VARIANT ? names.filter((x) => !named.has(x)) : names.includes(n) ? [n] : []));
}
