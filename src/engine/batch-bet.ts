/**
 * The batch queue's bet on waiting for company (batch-queue.ts). Waiting for more requests is a bet: it
 * costs the head request the wait, and pays only if someone arrives within it and a shared run is cheaper
 * than separate ones. So the queue waits only when both hold: lately,
 * requests for this key have arrived while another of them was in flight (an EWMA of that, starting from
 * "yes" so a new key batches as a plain dynamic batcher would), and the model's predicted cost says one more
 * item saves at least `MIN_SAVING` of a lone run (a fixed cost per run). A serial caller, however fast it
 * sends, never finds its previous request in flight, so after a few requests it stops waiting (arrival
 * gaps cannot tell it apart: its requests come closer together than the wait only because of the wait),
 * except that every `PROBE_EVERY`-th run still waits, so a crowd that the history cannot see is found again;
 * a model whose cost is linear in the batch never waits; what piled up while a run was going still shares
 * the next run.
 */

/** One more item must save at least this share of a lone run's predicted cost for a wait to be worth it. */
const MIN_SAVING = 0.1;
/** Weight of the newest arrival in the average of arrivals that found company in flight. */
const OVERLAP_ALPHA = 0.25;
/** Wait only when at least this share of recent arrivals found another request of the key in flight. */
const MIN_OVERLAP = 0.5;
/**
 * After this many runs of a key without a wait, the next one waits anyway: a probe. Without it "nobody
 * arrives in flight" is a trap: a run that never yields (a cheap model in WASM completes within the
 * request's own microtasks) lets no other arrival see it in flight, so at concurrency 64 mnist-wide ran
 * unbatched for a whole bench cell after its first arrivals came one at a time. A serial caller pays one
 * wait in this many requests.
 */
const PROBE_EVERY = 16;
/** Most keys (model, variant, input shapes) whose arrivals the queue remembers. */
const MAX_KEYS = 1024;

/** A key's arrival history: requests in flight, EWMA of arrivals that found company, runs since a wait. */
interface Flight {
  inFlight: number;
  overlap: number;
  sinceWait: number;
}

/** Per key (model, variant, input shapes): whether arrivals lately found another request of the key in flight. */
export class ArrivalHistory {
  private readonly flights = new Map<string, Flight>();

  /** Keys with history (bounded by `MAX_KEYS`). */
  get size(): number {
    return this.flights.size;
  }

  /** Records a request of `key` arriving; call what it returns once it is answered. */
  arrived(key: string): () => void {
    let f = this.flights.get(key);
    if (!f) {
      // Dynamic shapes can make many keys: forget the oldest idle one past the bound.
      if (this.flights.size >= MAX_KEYS) for (const [k, v] of this.flights) if (v.inFlight === 0) { this.flights.delete(k); break; }
      this.flights.set(key, (f = { inFlight: 0, overlap: 1, sinceWait: 0 }));
    }
    f.overlap += OVERLAP_ALPHA * ((f.inFlight > 0 ? 1 : 0) - f.overlap);
    f.inFlight++;
    const flight = f;
    return () => void flight.inFlight--;
  }

  /**
   * Whether a run of `key` holding `total` items should wait for more: others are likely to join (arrivals
   * lately found company, or it is time for a probe) and one more item would make the run cheaper per item.
   */
  worthWaiting(key: string, predictMs: (totalItems: number) => number, total: number): boolean {
    const alone = predictMs(1);
    const saving = predictMs(total) + alone - predictMs(total + 1);
    if (alone > 0 && saving < MIN_SAVING * alone) return false;
    const f = this.flights.get(key);
    if (!f) return true;
    if (f.overlap < MIN_OVERLAP && ++f.sinceWait < PROBE_EVERY) return false;
    f.sinceWait = 0;
    return true;
  }
}
