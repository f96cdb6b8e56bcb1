/**
 * Client to the cloud origin: any Open Inference Protocol v2 server (ours in origin/, Triton, KServe).
 * Every call has a deadline; failures become 502/504 errors with the cause attached. It keeps the live
 * state the selector reads: whether the origin is up, and an EWMA of its network round trip.
 */
import { InvalidInput, OriginTimeout, OriginUnavailable } from '../errors.js';
import { decodeInferResponse, tensorValues } from '../protocol/v2.js';
import type { VariantName } from '../registry/manifest.js';
import { VariantName as VariantNameSchema } from '../registry/manifest.js';
import type { Backend, BackendRequest, BackendResult } from '../engine/backend.js';

export interface OriginClientOptions {
  url: string;
  /** Round trip assumed before one is measured. */
  expectedRttMs: number;
  /** How long the origin counts as down after a failure. */
  cooldownMs: number;
  fetch?: typeof fetch;
  now?: () => number;
}

const EWMA_ALPHA = 0.3;

export class OriginClient implements Backend {
  private downUntil = 0;
  private rtt: number | undefined;
  private readonly base: string;
  private readonly doFetch: typeof fetch;
  private readonly now: () => number;

  constructor(private readonly options: OriginClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.now = options.now ?? (() => Date.now());
  }

  healthy(): boolean {
    return this.now() >= this.downUntil;
  }

  /** Network round trip to the origin, excluding its compute when the origin reports it. */
  rttMs(): number {
    return this.rtt ?? this.options.expectedRttMs;
  }

  private failed(): void {
    this.downUntil = this.now() + this.options.cooldownMs;
  }

  async infer(req: BackendRequest): Promise<BackendResult> {
    const { model, request } = req;
    const timeoutMs = Math.max(1, (req.deadline ?? this.now() + 10_000) - this.now());
    const body = JSON.stringify({
      id: request.id,
      parameters: request.parameters,
      inputs: request.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: tensorValues(t) })),
      outputs: request.outputs?.map((name) => ({ name })),
    });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-model-variant': req.variant };
    if (req.requestId) headers['x-request-id'] = req.requestId;
    const started = this.now();
    let res: Response;
    try {
      res = await this.doFetch(`${this.base}/v2/models/${encodeURIComponent(model.name)}/infer`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      this.failed();
      const name = (cause as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new OriginTimeout(`origin did not answer within ${timeoutMs} ms`, { cause });
      throw new OriginUnavailable(`origin unreachable: ${(cause as Error)?.message ?? cause}`, { cause });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (cause) {
      this.failed();
      throw new OriginUnavailable(`origin connection failed while reading the answer: ${(cause as Error).message}`, { cause });
    }
    const elapsed = this.now() - started;
    if (res.status >= 400 && res.status < 500 && res.status !== 429) {
      // The origin judged the request itself: pass its words on, the origin is fine.
      throw new InvalidInput(`origin rejected the request (${res.status}): ${errorText(text)}`);
    }
    if (!res.ok) {
      this.failed();
      throw new OriginUnavailable(`origin answered ${res.status}: ${errorText(text)}`);
    }
    let outputs;
    try {
      outputs = decodeInferResponse(JSON.parse(text));
    } catch (cause) {
      this.failed();
      throw new OriginUnavailable(`origin sent a malformed answer: ${(cause as Error).message}`, { cause });
    }
    const compute = serverTimingTotal(res.headers.get('server-timing'));
    const network = Math.max(0, elapsed - compute);
    this.rtt = this.rtt === undefined ? network : this.rtt + EWMA_ALPHA * (network - this.rtt);
    this.downUntil = 0;
    const reported = VariantNameSchema.safeParse(res.headers.get('x-model-variant'));
    const variant: VariantName = reported.success ? reported.data : req.variant;
    return { outputs, variant, timings: { origin: elapsed } };
  }
}

function errorText(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return body.error.slice(0, 300);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200) || '(empty body)';
}

/** Sum of `load`, `queue` and `infer` durations in a Server-Timing header (the origin's own compute). */
function serverTimingTotal(header: string | null): number {
  if (!header) return 0;
  let total = 0;
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name || !['load', 'queue', 'infer'].includes(name.trim())) continue;
    const dur = params.map((p) => p.trim()).find((p) => p.startsWith('dur='));
    const ms = dur ? Number(dur.slice(4)) : NaN;
    if (Number.isFinite(ms) && ms > 0) total += ms;
  }
  return total;
}
