import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Redis-backed suites start their own servers; give them room on a 2-vCPU box.
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
