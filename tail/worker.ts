/**
 * The feedback Tail Worker's entry (tail/wrangler.toml): the gateway names it in `tail_consumers`, so it
 * receives every gateway invocation's trace event (CPU and wall time, the request's `cf.colo`, the
 * gateway's log lines) and hands them to one collector per isolate (collector.ts). Only the handler is
 * exported: workerd takes every named export of an entry module for an entrypoint.
 */
import type { FeedbackEnv } from './collector.js';
import { FeedbackCollector } from './collector.js';

let collector: FeedbackCollector | undefined;

export default {
  async tail(events, env) {
    collector ??= new FeedbackCollector(env);
    await collector.take(events);
  },
} satisfies ExportedHandler<FeedbackEnv>;
