/**
 * Small, strict readers and writers of client-supplied text: a decimal number from a header (never hex,
 * exponent or whitespace tricks that Number() accepts), and a bounded echo of a client value for an error
 * message (a hostile value must never make an error body large).
 */

const DECIMAL = /^(?:0|[1-9]\d{0,15})(?:\.\d{1,6})?$/;

/** The number a header spells in plain decimal (`150`, `12.5`), else undefined (`0x66`, `1e3`, ` 7`, `-1`). */
export function decimalHeader(raw: string): number | undefined {
  return DECIMAL.test(raw) ? Number(raw) : undefined;
}

/** A JSON echo of `value` for an error message, cut to `max` characters. */
export function brief(value: unknown, max = 80): string {
  let text: string;
  if (Array.isArray(value) && value.length > max) {
    text = `${JSON.stringify(value.slice(0, 8)).slice(0, -1)},… (${value.length} items)]`;
  } else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
