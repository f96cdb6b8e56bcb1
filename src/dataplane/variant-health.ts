/**
 * Which edge variants failed recently: after an edge failure a variant sits out a cooldown, so the next
 * requests are routed around it (the selector drops it as `unhealthy_variants`) instead of failing again.
 * Per isolate, in memory: a fresh isolate tries every variant again.
 */
import type { ModelManifest, VariantName } from '../registry/manifest.js';

/** Cooldowns of failed edge variants, per model and variant. */
export class VariantHealth {
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** Takes `variant` of `model` out of edge routing for `cooldownMs`. */
  failed(model: ModelManifest, variant: VariantName, cooldownMs: number): void {
    this.until.set(`${model.name}/${variant}`, this.now() + cooldownMs);
  }

  /** The variants of `model` still cooling down. */
  unhealthy(model: ModelManifest): Set<VariantName> {
    const out = new Set<VariantName>();
    const now = this.now();
    for (const v of Object.keys(model.variants) as VariantName[]) {
      if ((this.until.get(`${model.name}/${v}`) ?? 0) > now) out.add(v);
    }
    return out;
  }
}
