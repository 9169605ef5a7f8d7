/**
 * Shared test utilities: the system tools tests run for real (promtool,
 * prometheus, alertmanager, chromium, wrk), free ports, polling and an
 * in-memory output stream.
 *
 * A missing tool skips its tests locally; in CI (`CI` set, not "false") it
 * fails them, so a CI image without the tool can never pass silently.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';

/** Absolute path of an executable on PATH, or undefined. */
export function findBinary(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI !== undefined && env.CI !== '' && env.CI !== 'false';
}

export interface RequiredBinary {
  /** Where it is; undefined when missing. */
  path: string | undefined;
  /** Skip its tests: missing, and not in CI. */
  skip: boolean;
  /** Missing in CI: its tests must fail (call `need()` first thing in them). */
  missingInCi: boolean;
  /** The path, or a thrown sentence saying the tool is required (CI). */
  need(): string;
}

/**
 * For tests that need an external binary.
 *
 * @example
 * const promtool = requireBinary('promtool');
 * it.skipIf(promtool.skip)('passes promtool check metrics', () => { spawnSync(promtool.need(), ['check', 'metrics']) ... });
 */
export function requireBinary(name: string, env: NodeJS.ProcessEnv = process.env): RequiredBinary {
  const path = findBinary(name);
  const ci = inCi(env);
  return {
    path,
    skip: path === undefined && !ci,
    missingInCi: path === undefined && ci,
    need: () => {
      if (path === undefined) throw new Error(`${name} is required (CI is set) but not on PATH; .ci/run installs it with apt-get`);
      return path;
    },
  };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `fn` until it returns a value that is not undefined (bounded by `timeoutMs`). */
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
    if (Date.now() > until) {
      const why = lastError === undefined ? '' : `: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A writable stream that keeps what is written, for commands that take `stdout`/`stderr`. */
export function textSink(): Writable & { text: string } {
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      w.text += chunk.toString();
      cb();
    },
  }) as Writable & { text: string };
  w.text = '';
  return w;
}
