/**
 * Character error rate: Levenshtein distance (insertions, deletions, substitutions, each 1) over the
 * reference's length, on Unicode code points. Texts are compared after NFKC (the Chinese+English model
 * answers full-width forms such as "，" for ",", which are the same character to a reader) and with runs of
 * white space collapsed; `ignoreSpaces` also drops the spaces, since the model often omits the space
 * between two words and a reader would not count that as misreading them.
 */

/** Edit distance between two strings, by code points. */
export function levenshtein(a: string, b: string): number {
  const s = [...a], t = [...b];
  if (!s.length) return t.length;
  if (!t.length) return s.length;
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[t.length]!;
}

/** How texts are put in one form before comparing. */
export function normalizeText(text: string, ignoreSpaces = false): string {
  const t = text.normalize('NFKC').replace(/\s+/g, ' ').trim();
  return ignoreSpaces ? t.replace(/ /g, '') : t;
}

/** Errors and reference length of one comparison (sum these over a set, then divide). */
export interface CerCount {
  errors: number;
  chars: number;
}

/** The edit count of `hypothesis` against `reference`, after normalisation. */
export function cerCount(reference: string, hypothesis: string, ignoreSpaces = false): CerCount {
  const ref = normalizeText(reference, ignoreSpaces), hyp = normalizeText(hypothesis, ignoreSpaces);
  return { errors: levenshtein(ref, hyp), chars: [...ref].length };
}

/** CER of one pair: errors / reference length (Infinity for an empty reference with a non-empty answer). */
export function cer(reference: string, hypothesis: string, ignoreSpaces = false): number {
  const c = cerCount(reference, hypothesis, ignoreSpaces);
  return c.chars ? c.errors / c.chars : c.errors ? Infinity : 0;
}

/** Sum of counts: the corpus CER is total errors over total reference characters, not a mean of ratios. */
export function total(counts: readonly CerCount[]): CerCount & { cer: number } {
  const errors = counts.reduce((s, c) => s + c.errors, 0), chars = counts.reduce((s, c) => s + c.chars, 0);
  return { errors, chars, cer: chars ? errors / chars : 0 };
}
