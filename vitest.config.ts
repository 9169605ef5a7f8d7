import { defineConfig } from 'vitest/config';

/**
 * Three groups, run one after the other (sequence.groupOrder) so that tests
 * that measure time never share the 2 cores with tests that start browsers,
 * Prometheus or the whole service:
 *   0 unit    — everything else, files in parallel;
 *   1 load    — the load engine's tests, which check request counts and
 *               spacing against real time, one file at a time;
 *   2 system  — end-to-end tests with child processes (serve, Chromium,
 *               Prometheus).
 */
const LOAD = ['probes/**/*.test.ts'];
const SYSTEM = ['**/*.e2e.test.ts', '**/*.browser.test.ts', 'service/cli.test.ts', 'service/telemetry/prometheus.test.ts'];
const IGNORED = ['node_modules/**', 'dist/**'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: [...IGNORED, ...LOAD, ...SYSTEM],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'load',
          include: LOAD,
          exclude: IGNORED,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'system',
          include: SYSTEM,
          exclude: IGNORED,
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
