/**
 * A doc example's real answer (curl's output) against what the page says it prints
 * (test/docs/doc-examples.ts), and the documented ports pointed at the test stack's.
 */
import type { Expectation } from './doc-examples.js';
import { jsonMismatches, textPattern } from './json-pattern.js';

/** An HTTP answer as `curl -si` prints it (or just a body, when the command printed no headers). */
export interface CurlAnswer {
  status?: number;
  headers: [string, string][];
  body: string;
}

/** Splits curl's output into status, headers and body; interim 1xx answers (100 Continue) are skipped. */
export function parseCurlOutput(out: string): CurlAnswer {
  let rest = out;
  for (;;) {
    const head = /^HTTP\/[\d.]+ (\d{3})[^\r\n]*((?:\r?\n[^\r\n]+)*)\r?\n\r?\n/.exec(rest);
    if (!head) return { headers: [], body: rest };
    rest = rest.slice(head[0].length);
    const status = Number(head[1]);
    if (status >= 200 || rest === '') {
      const headers = head[2]!
        .split(/\r?\n/)
        .filter((l) => l !== '')
        .map((l) => /^([^:]+):\s*(.*?)\s*$/.exec(l))
        .filter((m) => m !== null)
        .map((m): [string, string] => [m[1]!.toLowerCase(), m[2]!]);
      return { status, headers, body: rest };
    }
  }
}

/** What differs between an example's expectations and its real answer: one line per miss, empty if none. */
export function mismatches(expect: Expectation[], answer: CurlAnswer): string[] {
  const out: string[] = [];
  for (const e of expect) {
    if (e.kind === 'status') {
      if (answer.status !== e.status) out.push(`line ${e.line}: status ${e.status} expected, got ${answer.status ?? 'none'}`);
    } else if (e.kind === 'header') {
      const values = answer.headers.filter(([n]) => n === e.name).map(([, v]) => v);
      const re = textPattern(e.value);
      if (!values.some((v) => re.test(v))) {
        out.push(`line ${e.line}: ${e.name}: ${e.value}\n    got: ${values.length ? values.map((v) => `${e.name}: ${v}`).join(' | ') : '(no such header)'}`);
      }
    } else {
      let body: unknown;
      try {
        body = JSON.parse(answer.body);
      } catch {
        out.push(`line ${e.line}: a JSON body expected, got: ${answer.body.slice(0, 200)}`);
        continue;
      }
      for (const m of jsonMismatches(e.pattern, body, '$')) out.push(`line ${e.line}: ${m}`);
    }
  }
  return out;
}

/** The command with the documented ports replaced by the ones the test stack listens on. */
export function onPorts(text: string, ports: { gateway: number; origin: number }): string {
  return text
    .replace(/\b(?:127\.0\.0\.1|localhost):8787(?!\d)/g, `127.0.0.1:${ports.gateway}`)
    .replace(/\b(?:127\.0\.0\.1|localhost):8788(?!\d)/g, `127.0.0.1:${ports.origin}`);
}
