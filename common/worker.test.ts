import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startWorker, workerBundle } from './worker.ts';

const FIXTURE = new URL('./worker-echo.fixture.ts', import.meta.url);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
// Inside node_modules, as the real cache is: the bundle's package imports resolve from there.
const CACHE = fileURLToPath(new URL('../node_modules/.cache/', import.meta.url));
function tempDir(): string {
  mkdirSync(CACHE, { recursive: true });
  const d = mkdtempSync(join(CACHE, 'burnwatch-worker-test-'));
  dirs.push(d);
  return d;
}

async function answer(cacheDir: string, data: string): Promise<unknown> {
  const w = startWorker(FIXTURE, { workerData: data }, cacheDir);
  try {
    return await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  } finally {
    await w.terminate();
  }
}

describe('startWorker on a TypeScript module', () => {
  it('runs it from one bundle of the sources it imports (packages stay imports), named by its content', async () => {
    const dir = tempDir();
    expect(await answer(dir, 'hello')).toEqual({ echo: 'hello', took: '1s500ms' });
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^worker-echo\.fixture-[0-9a-f]{16}\.mjs$/);
    const bundle = workerBundle(FIXTURE, dir);
    expect('url' in bundle && fileURLToPath(bundle.url)).toBe(join(dir, files[0]!));
    // zod is imported from node_modules, not copied in; the sibling module is in the bundle.
    const code = readFileSync(join(dir, files[0]!), 'utf8');
    expect(code).toMatch(/from "zod"/);
    expect(code).toContain('function formatDuration');
  });

  it('writes the bundle again when it has gone from the disk since (another process removed it as stale)', async () => {
    const dir = tempDir();
    expect(await answer(dir, 'one')).toMatchObject({ echo: 'one' });
    for (const f of readdirSync(dir)) rmSync(join(dir, f));
    expect(await answer(dir, 'two')).toMatchObject({ echo: 'two' });
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('removes bundles unused for a day when it writes one, and keeps newer ones', async () => {
    const dir = tempDir();
    const old = join(dir, 'load-worker-0000000000000000.mjs');
    const recent = join(dir, 'load-worker-1111111111111111.mjs');
    writeFileSync(old, '');
    writeFileSync(recent, '');
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    utimesSync(old, twoDaysAgo, twoDaysAgo);
    await answer(dir, 'x');
    const left = readdirSync(dir);
    expect(left).not.toContain('load-worker-0000000000000000.mjs');
    expect(left).toContain('load-worker-1111111111111111.mjs');
    expect(left).toHaveLength(2);
  });

  it('refreshes the time of a bundle it uses, so that one in use never looks stale', async () => {
    const dir = tempDir();
    await answer(dir, 'x');
    const file = join(dir, readdirSync(dir)[0]!);
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    utimesSync(file, twoDaysAgo, twoDaysAgo);
    await answer(dir, 'y');
    expect(Date.now() - statSync(file).mtimeMs).toBeLessThan(86_400_000);
  });

  it('falls back to tsx in the worker when the bundle cannot be written, and says why', async () => {
    const blocker = join(tempDir(), 'not-a-folder');
    writeFileSync(blocker, '');
    const dir = join(blocker, 'cache');
    const bundle = workerBundle(FIXTURE, dir);
    expect('reason' in bundle && bundle.reason).toMatch(/ENOTDIR/);
    expect(await answer(dir, 'still')).toEqual({ echo: 'still', took: '1s500ms' });
  });
});
