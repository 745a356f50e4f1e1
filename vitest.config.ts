import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Real servers (redis-server, the mock, chromium) start per file; two cores, so keep files few at once.
    maxWorkers: 2,
  },
});
