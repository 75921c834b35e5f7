import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts LocalStack and Elasticsearch once for the run, unless ELASTIC_URL and
    // AWS_ENDPOINT_URL_CLOUDWATCH_LOGS already point at running ones.
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
