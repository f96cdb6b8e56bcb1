/**
 * Two test tiers in one run: `node` (pure parts, model tools, the origin on onnxruntime-node) and
 * `workers` (the gateway inside workerd with the real onnxruntime-web engine and real model files).
 * The end-to-end tests start a real origin process on ORIGIN_TEST_PORT (see test/setup/origin.ts).
 */
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

import { ORIGIN_TEST_PORT, ORIGIN_TEST_TOKEN } from './test/setup/constants.js';

export default defineConfig({
  test: {
    // workerd (1.20260815) rejects a promise inside DecompressionStream that nobody can handle when its input
    // is corrupt, however the caller handles its own (it fires unhandledrejection, then rejectionhandled:
    // cloudflare/workerd#6061, fixed for pipeThrough only). The gateway answers those bodies 400
    // (test/routes/compression.test.ts); only that exact error is left out of the run's unhandled errors.
    onUnhandledError: (error) => !(error.name === 'TypeError' && error.message === 'Decompression failed.'),
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.node.test.ts'],
          environment: 'node',
          // Forks: onnxruntime-node's native addon is not safe to load in worker threads.
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: { ORIGIN_URL: `http://127.0.0.1:${ORIGIN_TEST_PORT}`, ORIGIN_TOKEN: ORIGIN_TEST_TOKEN, ADMIN_OPEN: 'true' },
              // A strict limiter next to the deployment's, so the 429 path is tested with the real binding.
              ratelimits: { STRICT_LIMITER: { namespace_id: '2001', simple: { limit: 2, period: 60 } } },
            },
          }),
        ],
        test: {
          name: 'workers',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.node.test.ts'],
          globalSetup: ['test/setup/origin.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
