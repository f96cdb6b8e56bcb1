/**
 * Shared helpers of the workers tests: requests to the gateway under test (SELF) and real mnist digits.
 */
import { SELF } from 'cloudflare:test';
import samples from '../models/mnist/samples.json';

export const digits = samples as { inputs: number[][]; labels: number[] };

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/** POSTs a v2 body (object, or raw text) to the gateway; returns status, headers and the parsed JSON. */
export async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await SELF.fetch(`http://gateway.test${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

export async function get(path: string): Promise<Answer> {
  const res = await SELF.fetch(`http://gateway.test${path}`);
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** A v2 request body of mnist digits `from..from+n`. */
export function mnistBody(from = 0, n = 1, extra: Record<string, unknown> = {}) {
  const rows = digits.inputs.slice(from, from + n);
  return { inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 784], data: rows.flat() }], ...extra };
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** Predicted classes of a [n, 10] logits output. */
export function classes(output: { shape: number[]; data: number[] }): number[] {
  const [n, k] = output.shape as [number, number];
  return Array.from({ length: n }, (_, i) => argmax(output.data.slice(i * k, (i + 1) * k)));
}
