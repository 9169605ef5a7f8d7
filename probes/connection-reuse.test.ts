/**
 * k6's `noConnectionReuse` / `noVUConnectionReuse`: every request on a
 * connection of its own, `Connection: close` sent, so each request pays
 * (and measures) the TCP connect — a target's connection-setup capacity,
 * or clients that do not keep alive.
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

describe('noConnectionReuse, noVUConnectionReuse', () => {
  const scenario = { executor: 'shared-iterations', vus: 2, iterations: 10, maxDuration: '10s' };

  it('by default the VUs keep their connections alive: 10 requests, at most 2 connections', async () => {
    const headers: (string | undefined)[] = [];
    server = await testServer((req, res) => {
      headers.push(req.headers.connection);
      res.end('ok');
    });
    const summary = await startRun(probe({ target: server.url, scenario, requests: [{ name: 'get', url: '/' }] }), { threads: 1 }).done;
    expect(summary.outcomes.ok).toBe(10);
    expect(server.connections).toBeLessThanOrEqual(2);
    expect(headers.every((h) => h === 'keep-alive')).toBe(true);
  });

  for (const option of ['noConnectionReuse', 'noVUConnectionReuse']) {
    it(`${option}: each request opens its own connection and says Connection: close; connecting is measured for each`, async () => {
      const headers: (string | undefined)[] = [];
      server = await testServer((req, res) => {
        headers.push(req.headers.connection);
        res.end('ok');
      });
      const summary = await startRun(probe({ target: server.url, scenario, requests: [{ name: 'get', url: '/' }], [option]: true }), { threads: 1 }).done;
      expect(summary.outcomes.ok).toBe(10);
      expect(server.connections).toBe(10);
      expect(headers).toEqual(Array(10).fill('close'));
      const connecting = summary.metrics.http_req_connecting!.values;
      expect(connecting.count).toBe(10);
      expect(connecting.min).toBeGreaterThan(0);
    });
  }
});
