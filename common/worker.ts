import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type * as Esbuild from 'esbuild';

/**
 * Starts a worker thread on a module that may be TypeScript. A `.js` module
 * (the `dist/` build) starts directly. A `.ts` module (running from sources,
 * as `npx burnwatch` does) is bundled once per process with esbuild into one
 * plain ES module under `node_modules/.cache/burnwatch/`, where the packages
 * it imports resolve as from the sources: a worker then starts in ~0.15 s
 * instead of ~0.5 s, most of which went to tsx's loader thread and its
 * transforms in every new worker. When the bundle cannot be made (no
 * esbuild, a read-only or full disk) the worker registers tsx's loader
 * itself, as before; `reason` in `workerBundle`'s answer says why.
 *
 * @example
 * const w = startWorker(new URL('./load-worker.ts', import.meta.url), { workerData: spec });
 */
export function startWorker(moduleUrl: URL, options: WorkerOptions = {}, cacheDir?: string): Worker {
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, options);
  const bundle = workerBundle(moduleUrl, cacheDir);
  if ('url' in bundle) return new Worker(bundle.url, options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code =
    `import(${JSON.stringify(tsxApi)})` +
    `.then((m) => { m.register(); return import(${JSON.stringify(moduleUrl.href)}); })`;
  return new Worker(code, { ...options, eval: true });
}

interface Bundle {
  file: string;
  code: Uint8Array;
}

/** Bundles made by this process, by module and cache folder. */
const bundles = new Map<string, Bundle | { reason: string }>();

/** Bundles not used for a day are removed when a new one is written (a running process rewrites its own if it is gone). */
const STALE_MS = 86_400_000;

/**
 * The bundle of a TypeScript worker module and what it imports from the
 * sources (packages stay imports), written under `cacheDir` (by default
 * `node_modules/.cache/burnwatch` beside esbuild's package; another folder
 * must be one from which those packages resolve) with its content
 * hash in the name, so processes running other sources never share one.
 * Made once per process, and written again if it has gone from the disk
 * since; `{ reason }` when it cannot be made or written.
 */
export function workerBundle(moduleUrl: URL, cacheDir?: string): { url: URL } | { reason: string } {
  const key = `${moduleUrl.href}\n${cacheDir ?? ''}`;
  let bundle = bundles.get(key);
  if (bundle === undefined) {
    bundle = makeBundle(moduleUrl, cacheDir);
    bundles.set(key, bundle);
  }
  if ('reason' in bundle) return bundle;
  try {
    write(bundle);
    return { url: pathToFileURL(bundle.file) };
  } catch (err) {
    return { reason: firstLine(err) };
  }
}

function makeBundle(moduleUrl: URL, cacheDir: string | undefined): Bundle | { reason: string } {
  const require = createRequire(import.meta.url);
  try {
    const esbuild = require('esbuild') as typeof Esbuild;
    const dir = cacheDir ?? join(dirname(dirname(require.resolve('esbuild/package.json'))), '.cache', 'burnwatch');
    const out = esbuild.buildSync({
      entryPoints: [fileURLToPath(moduleUrl)],
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      // Stack traces of a worker's crash name the .ts lines (tsx enables source maps in the process).
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]!.contents;
    const name = `${basename(moduleUrl.pathname, '.ts')}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`;
    return { file: join(dir, name), code };
  } catch (err) {
    return { reason: firstLine(err) };
  }
}

/** Writes the bundle unless it is there; refreshes its time when it is, so that it is not stale while in use. */
function write(bundle: Bundle): void {
  const now = new Date();
  try {
    utimesSync(bundle.file, now, now);
    return;
  } catch {
    // Not there (yet, or removed): write it.
  }
  const dir = dirname(bundle.file);
  mkdirSync(dir, { recursive: true });
  // Written whole, then renamed: a process starting a worker on it never reads half a file.
  const partial = `${bundle.file}.${process.pid}.partial`;
  writeFileSync(partial, bundle.code);
  renameSync(partial, bundle.file);
  removeStale(dir, bundle.file);
}

function firstLine(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

function removeStale(dir: string, keep: string): void {
  const now = Date.now();
  for (const entry of readdirSync(dir)) {
    const file = join(dir, entry);
    if (file === keep) continue;
    try {
      if (now - statSync(file).mtimeMs > STALE_MS) unlinkSync(file);
    } catch {
      // Removed by another process meanwhile, or not ours to remove: leave it.
    }
  }
}

/**
 * The URL of a sibling module with the same extension as the calling module,
 * so `siblingModule(import.meta.url, 'load-worker')` names `load-worker.ts`
 * in sources and `load-worker.js` in `dist/`.
 */
export function siblingModule(callerUrl: string, baseName: string): URL {
  const ext = callerUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${baseName}${ext}`, callerUrl);
}
