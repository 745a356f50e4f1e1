import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Real servers (redis-server, the mock, chromium) start per file; two cores, so keep files few at once.
    // Timeouts leave room for a loaded machine (a spawned mock takes 2–6 s to start there); they bound
    // hangs, they judge no timing: every wait inside a test is bounded by a condition of its own.
    maxWorkers: 2,
  },
});
