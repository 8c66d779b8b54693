import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test tiers (README "Tests"): unit (pure), workflows + replay (time-skipping test server),
 * api (Fastify inject + real PostgreSQL), e2e (real dev server + real PostgreSQL through HTTP).
 * One embedded PostgreSQL serves the whole run (test/helpers/global-setup.ts); each file gets its
 * own database cloned from a migrated template. The cluster tier (test/cluster) has its own
 * configuration (vitest.cluster.config.ts, `npm run test:cluster`): it runs a whole cluster.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'test/cluster/**'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    // Two cores: two test files at a time, each may run its own Temporal server.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
