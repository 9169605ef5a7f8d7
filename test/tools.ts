/**
 * System tools that tests run for real (promtool, prometheus, alertmanager,
 * chromium, wrk). Locally a missing tool skips its tests; in CI (CI set) it
 * fails them, so a CI image without the tool can never pass silently.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

const PATHS: Record<string, string> = {
  promtool: '/usr/bin/promtool',
  prometheus: '/usr/bin/prometheus',
  alertmanager: '/usr/bin/prometheus-alertmanager',
  chromium: '/usr/bin/chromium',
  wrk: '/usr/bin/wrk',
};

/** The tool's path when it runs here; undefined (locally) when missing; throws in CI when missing. */
export function requireTool(name: string): string | undefined {
  const path = PATHS[name] ?? name;
  const probe = spawnSync(path, ['--version'], { stdio: 'ignore', timeout: 20_000 });
  if (probe.error === undefined) return path;
  if (process.env.CI) throw new Error(`${name} (${path}) is required in CI but cannot run: ${probe.error.message}; .ci/run installs it`);
  return undefined;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `fn` until it returns a value that is not undefined (bounded). */
export async function eventually<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
