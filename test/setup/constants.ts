/** Where the test origin listens and the secret it requires; shared by vitest.config.ts and the global setup. */
export const ORIGIN_TEST_PORT = Number(process.env.ORIGIN_TEST_PORT ?? 18788);
/** The shared secret between the test gateway (miniflare binding ORIGIN_TOKEN) and the test origin. */
export const ORIGIN_TEST_TOKEN = 'origin-test-secret';
