/**
 * The engine's warm-up (hundreds of iterations against a throwaway server
 * inside the worker, before the run) is bounded in bytes as well as in
 * iterations: a probe that uploads large bodies must not send hundreds of
 * them before its run starts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from './engine.ts';
import { probe, testServer, workerInit } from './test-support.ts';
import type { TestServer } from './test-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function warmUpIterations(body: string | undefined): Promise<number> {
  server = await testServer();
  const request = body === undefined ? { name: 'get', url: '/' } : { name: 'upload', method: 'POST', url: '/', body };
  const init = workerInit(probe({ target: server.url, scenario: { executor: 'shared-iterations', vus: 1, iterations: 1 }, requests: [request] }), 'warm-up');
  const engine = new Engine(init, () => {});
  try {
    return await engine.warmUp();
  } finally {
    await engine.close();
  }
}

describe('warm-up', () => {
  it('runs its iterations for a small request, and stops after a few MB for a large body; the target sees none of it', async () => {
    expect(await warmUpIterations(undefined)).toBe(400);
    expect(server!.hits).toBe(0);
    // 2 MB bodies: 400 of them were 800 MB sent before the run could start.
    const ran = await warmUpIterations('x'.repeat(2 * 1024 * 1024));
    expect(ran).toBeGreaterThanOrEqual(2);
    expect(ran).toBeLessThanOrEqual(4);
    expect(server!.hits).toBe(0);
  });
});
