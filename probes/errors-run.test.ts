/**
 * The summary's errors over a real run: the kinds of error a worker and
 * the run keep are bounded, but a frequent kind is not shut out by the
 * many kinds that came before it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { probe, testServer } from './test-support.ts';
import type { TestServer } from './test-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('errors in a run', () => {
  it('a 503 flood after 60 different assertion failures in the same interval is the summary’s top error', async () => {
    // Iterations 0–59 answer JSON whose id fails the expectation with a message of its own
    // ("got 0", "got 1", …); every later one is a 503. All within the run's first interval.
    server = await testServer((req, res) => {
      const seq = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('seq'));
      if (seq >= 60) {
        res.statusCode = 503;
        res.end('busy');
      } else {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ id: seq }));
      }
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'shared-iterations', vus: 1, iterations: 160, maxDuration: '20s' },
        requests: [{ name: 'get', url: '/x?seq={{seq}}', expect: { status: [200], json: { '$.id': { equals: -1 } } } }],
      }),
      { threads: 1 },
    ).done;
    expect(summary.outcomes).toMatchObject({ assertion_failed: 60, http_error: 100 });
    expect(summary.errors[0]).toMatchObject({ outcome: 'http_error', message: 'HTTP 503' });
    expect(summary.errors[0]!.count - (summary.errors[0]!.overcount ?? 0)).toBeLessThanOrEqual(100);
    expect(summary.errors[0]!.count).toBeGreaterThanOrEqual(100);
  });
});
