import { configDefaults, defineConfig } from 'vitest/config';
import { nodeSupportNotice } from './src/node-support.js';

// Once per test run rather than once per process (workers and the CLIs they start inherit it).
const notice = nodeSupportNotice();
if (notice) console.warn(notice);

const integrationTests = 'test/**/*.integration.test.ts';

// `vitest run` runs both projects; `vitest run --project unit` (npm run test:unit) only the first.
export default defineConfig({
  test: {
    projects: [
      {
        // Needs no services (no LocalStack, Elasticsearch or API server): runs in seconds.
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, integrationTests],
        },
      },
      {
        test: {
          name: 'integration',
          include: [integrationTests],
          // Starts LocalStack and Elasticsearch once for the run, unless ELASTIC_URL and
          // AWS_ENDPOINT_URL_CLOUDWATCH_LOGS already point at running ones.
          globalSetup: ['./test/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
