import { defineConfig } from 'vitest/config';

/**
 * The cluster tier (`npm run test:cluster`, README "The production topology"): the test starts its
 * own cluster (scripts/cluster.ts: PostgreSQL, two Temporal server nodes, two workers, two API
 * replicas), so it has no global setup and runs alone.
 */
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 40 * 60_000,
    hookTimeout: 30 * 60_000,
    reporters: ['default'],
  },
});
