/**
 * Bounds on a v2 request's `parameters` (the request's, and each input's and output's), checked on the parsed
 * body before the schema walks it. A body of a million parameter keys cost ~1.3 s of CPU in the schema and
 * the copies after it, and every key went on to the origin; the protocol's parameters are a handful of
 * scalars. Every object may hold `max_parameters` entries; all of them together `max_parameter_bytes`,
 * measured as JSON. Both checks stop as soon as the limit is passed, so a hostile body costs no more than
 * the limit.
 */
import { InvalidInput } from '../errors.js';

export interface ParameterLimits {
  max_parameters: number;
  max_parameter_bytes: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The entries of `params`, counted up to `limit + 1`. */
function entriesUpTo(params: Record<string, unknown>, limit: number): number {
  let n = 0;
  for (const key in params) {
    if (!Object.hasOwn(params, key)) continue;
    if (++n > limit) break;
  }
  return n;
}

/** JSON bytes of `value` (strings by UTF-16 length, a close bound), counted only up to `budget + 1`. */
function jsonBytesUpTo(value: unknown, budget: number): number {
  let bytes = 0;
  const stack: unknown[] = [value];
  while (stack.length && bytes <= budget) {
    const v = stack.pop();
    if (typeof v === 'string') bytes += v.length + 2;
    else if (typeof v === 'number') bytes += String(v).length;
    else if (typeof v === 'boolean') bytes += v ? 4 : 5;
    else if (v === null || v === undefined) bytes += 4;
    else if (Array.isArray(v)) {
      bytes += 2 + v.length;
      for (let i = 0; i < v.length && bytes <= budget; i++) stack.push(v[i]);
    } else if (typeof v === 'object') {
      bytes += 2;
      for (const key in v) {
        if (!Object.hasOwn(v, key)) continue;
        bytes += key.length + 4;
        if (bytes > budget) break;
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
  }
  return bytes;
}

/**
 * Checks every `parameters` object of a raw v2 body (anything not shaped like one is left to the schema):
 * 400 naming the object and the limit. `maxInputs` bounds how many inputs are looked at (more is the
 * decoder's 413).
 */
export function checkParameters(body: unknown, limits: ParameterLimits, maxInputs: number): void {
  if (!isObject(body)) return;
  let left = limits.max_parameter_bytes;
  const check = (params: unknown, where: () => string) => {
    if (params === undefined) return;
    if (isObject(params) && entriesUpTo(params, limits.max_parameters) > limits.max_parameters) {
      throw new InvalidInput(`${where()}: more than ${limits.max_parameters} entries (limits.max_parameters)`);
    }
    left -= jsonBytesUpTo(params, left);
    if (left < 0) throw new InvalidInput(`request parameters exceed ${limits.max_parameter_bytes} bytes in all (limits.max_parameter_bytes), passed at the ${where()}`);
  };
  check(body['parameters'], () => 'request parameters');
  for (const [list, what] of [['inputs', 'input'], ['outputs', 'output']] as const) {
    const items = body[list];
    if (!Array.isArray(items)) continue;
    // Outputs have no count limit of their own; every one of them spends the shared byte budget.
    const n = list === 'inputs' ? Math.min(items.length, maxInputs) : items.length;
    for (let i = 0; i < n; i++) {
      const item: unknown = items[i];
      if (isObject(item)) check(item['parameters'], () => `parameters of ${what} ${typeof item['name'] === 'string' ? `'${item['name'].slice(0, 40)}'` : i}`);
    }
  }
}
