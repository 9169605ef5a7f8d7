import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Load tests measure real time; keep files from fighting over the 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
