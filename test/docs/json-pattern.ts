/**
 * Expected text with wildcards, for doc examples (test/docs/doc-examples.ts): `…` matches anything and every
 * number any number (latencies and budgets vary run to run; digits glued to letters, as in `fp32`, stay
 * literal). JSON expectations are JSON with `…` elisions, matched by containment; their strings follow the
 * same rule as header values, since a reason string carries the same varying numbers as x-route-reason.
 */

/** Stands for "anything" inside a JSON expectation. */
export const ANY = Symbol('…');
export type JsonPattern = typeof ANY | null | boolean | number | string | JsonPattern[] | { [key: string]: JsonPattern };

/** JSON with `…` allowed as an array element, an object member or a value. */
export function parseJsonPattern(text: string): JsonPattern {
  let i = 0;
  const ws = (): void => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`${what} at '${text.slice(i, i + 20)}'`);
  };
  const isEllipsis = (): boolean => {
    ws();
    if (text[i] !== '…') return false;
    i++;
    return true;
  };
  const value = (): JsonPattern => {
    ws();
    const c = text[i];
    if (isEllipsis()) return ANY;
    if (c === '{') {
      i++;
      const obj: Record<string, JsonPattern> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        if (!isEllipsis()) {
          ws();
          if (text[i] !== '"') fail('expected a key');
          const key = string();
          ws();
          if (text[i++] !== ':') fail("expected ':'");
          obj[key] = value();
        }
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return obj;
        }
        else fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const arr: JsonPattern[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return arr;
        }
        else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    const literal = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!literal) return fail('expected a value');
    i += literal[1]!.length;
    return JSON.parse(literal[1]!) as JsonPattern;
  };
  const string = (): string => {
    const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i));
    if (!m) return fail('unterminated string');
    i += m[0].length;
    return JSON.parse(m[0]) as string;
  };
  const result = value();
  ws();
  if (i < text.length) fail('unexpected text after the JSON');
  return result;
}

const NUMBER = /(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]*\w)/;

/** The expected text as a whole-string pattern: `…` matches anything, every number any number. */
export function textPattern(expected: string): RegExp {
  const parts = expected.trim().split(/(…)/);
  const source = parts
    .map((p) =>
      p === '…'
        ? '[\\s\\S]*?'
        : p
            .split(new RegExp(`(${NUMBER.source})`))
            .map((q, k) => (k % 2 === 1 ? '-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?' : q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
            .join(''),
    )
    .join('');
  return new RegExp(`^${source}$`);
}

/** Where a JSON value departs from a pattern, as JSONPath-like places with what was found. */
export function jsonMismatches(pattern: JsonPattern, actual: unknown, at: string): string[] {
  const got = (): string => `${at}: expected ${show(pattern)}, got ${JSON.stringify(actual)?.slice(0, 200)}`;
  if (pattern === ANY) return [];
  if (typeof pattern === 'number') return typeof actual === 'number' ? [] : [got()];
  if (typeof pattern === 'string') {
    const ok = typeof actual === 'string' && textPattern(pattern).test(actual);
    return ok ? [] : [got()];
  }
  if (pattern === null || typeof pattern === 'boolean') return pattern === actual ? [] : [got()];
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual)) return [got()];
    const cut = pattern.indexOf(ANY);
    const head = cut < 0 ? pattern : pattern.slice(0, cut);
    const tail = cut < 0 ? [] : pattern.slice(cut + 1);
    if (cut < 0 ? actual.length !== pattern.length : actual.length < head.length + tail.length) return [got()];
    return [
      ...head.flatMap((p, k) => jsonMismatches(p, actual[k], `${at}[${k}]`)),
      ...tail.flatMap((p, k) => jsonMismatches(p, actual[actual.length - tail.length + k], `${at}[${actual.length - tail.length + k}]`)),
    ];
  }
  if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return [got()];
  return Object.entries(pattern).flatMap(([k, p]) =>
    k in actual ? jsonMismatches(p, (actual as Record<string, unknown>)[k], `${at}.${k}`) : [`${at}.${k}: missing`],
  );
}

function show(p: JsonPattern): string {
  return JSON.stringify(p, (_k, v: unknown) => (v === ANY ? '…' : v)) ?? '…';
}
