import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on a module that may be TypeScript. When the module
 * is a `.ts` file (running from sources through tsx) the worker first
 * registers tsx's loader, resolved from this package so it works from any
 * working directory; a `.js` module (the `dist/` build) starts directly.
 *
 * @example
 * const w = startWorker(new URL('./load-worker.ts', import.meta.url), { workerData: spec });
 */
export function startWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code =
    `import(${JSON.stringify(tsxApi)})` +
    `.then((m) => { m.register(); return import(${JSON.stringify(moduleUrl.href)}); })`;
  return new Worker(code, { ...options, eval: true });
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
