/**
 * `burnwatch run PROBE_FILE [--probe NAME] [--summary-export FILE] [--segment i/n] [--threads N]`:
 * one load test now, with live progress and a k6-like end summary.
 * PROBE_FILE holds one Probe, or `--probe NAME` picks one from a file or
 * config folder holding several (the service's scheduled probes, run now).
 *
 * Exit codes (k6's where k6 has one):
 * - 0: every threshold passed;
 * - 99: a threshold failed (also when an abortOnFail threshold stopped the run);
 * - 104: bad input — an invalid probe file, not exactly one Probe in it, a
 *   peak rate above the Service's maxRps, a bad --segment/--threads, an
 *   unwritable --summary-export path (a folder, a missing folder, no write
 *   permission; checked before the run), a --probe name the config lacks;
 * - 105: the run was aborted before its end — by auto-abort (the target's
 *   error rate stayed above `autoAbort.errorRate` for `autoAbort.for`), by
 *   followed redirects taking the requests sent above maxRps, or by
 *   Ctrl-C / SIGTERM (k6's "external abort"). The summary is still printed
 *   and exported, and says why;
 * - 1: the load generator itself failed.
 *
 * A summary that still cannot be written at the end is reported on stderr
 * and the run keeps its exit code (k6 does the same).
 *
 * Ctrl-C once stops gracefully (in-flight requests get gracefulStop); twice
 * interrupts them at once. Either way the summary is printed.
 */
import { access, stat, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BurnwatchError, errorMessage, redact, suggest } from '../../common/index.ts';
import { describeScenario, fdLimitWarning, formatProgress, formatSummary, parseSegment, parseTrendStats, startRun } from '../../probes/index.ts';
import { proxiedOrigins, readProxyEnv } from '../../probes/proxy.ts';
import type { Probe, Progress, RunSummary, Segment } from '../../probes/index.ts';
import { formatConfigIssue, loadConfig } from '../config/index.ts';
import { EXIT } from '../exit-codes.ts';

/** A stream the command writes to; `process.stdout` or anything writable (tests). */
export type Output = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface RunCommandOptions {
  /** The Probe to run when the file or folder holds several. */
  probe?: string;
  summaryExport?: string;
  /** `--summary-trend-stats`: k6's form, `avg,p(95),p(99.99)`; overrides the probe's `summaryTrendStats`. */
  summaryTrendStats?: string;
  /** `--http-debug[=full]`: true (the flag alone) or `headers` writes headers, `full` bodies too; to `err`. */
  httpDebug?: string | true;
  /** Where HTTP_PROXY / HTTPS_PROXY / NO_PROXY are read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** `i/n`, 1-based. */
  segment?: string;
  /** Worker threads; a string is the command line's text, checked here (a bad value is bad input, 104). */
  threads?: number | string;
  out?: Output;
  /** Errors; default `out` when given, else stderr. */
  err?: Output;
  signal?: AbortSignal;
  /** Seconds between progress lines when `out` is not a TTY; default 5. */
  progressEverySeconds?: number;
  /** Install SIGINT/SIGTERM handlers (default true). */
  handleSignals?: boolean;
}

type Loaded = { ok: true; probe: Probe; maxRps: number; warnings: string[] } | { ok: false; errors: string[] };

/**
 * Loads the probe file (or config folder) through the config loader: one
 * Probe — the only one, or the one named `--probe` — with valid thresholds
 * and a peak rate within the Service's maxRps.
 */
async function loadProbe(path: string, name: string | undefined): Promise<Loaded> {
  let result: Awaited<ReturnType<typeof loadConfig>>;
  try {
    result = await loadConfig(path);
  } catch (err) {
    return { ok: false, errors: [`${path}: cannot read: ${errorMessage(err)}`] };
  }
  const warnings = result.warnings.map(formatConfigIssue);
  if (!result.ok) return { ok: false, errors: [...warnings, ...result.errors.map(formatConfigIssue)] };
  const probes = [...result.config.probes.values()];
  const names = probes.map((p) => p.name);
  let probe: Probe | undefined;
  if (name !== undefined) {
    probe = result.config.probes.get(name);
    if (!probe) {
      const near = suggest(name, names);
      const known = names.length ? `; it has ${names.join(', ')}` : '; it has no Probe documents';
      return { ok: false, errors: [`${path}: no Probe named "${name}"${near ? ` (did you mean "${near}"?)` : ''}${known}`] };
    }
  } else if (probes.length === 1) {
    probe = probes[0]!;
  } else {
    return {
      ok: false,
      errors: [
        probes.length === 0
          ? `${path}: no Probe document found; burnwatch run needs one`
          : `${path}: ${probes.length} Probe documents (${names.join(', ')}); pick one with --probe NAME, e.g. --probe ${names[0]}`,
      ],
    };
  }
  // The loader has checked the thresholds and the maxRps cap (with line numbers); startRun checks them again.
  return { ok: true, probe, maxRps: result.config.service.maxRps, warnings };
}

/**
 * Why the summary could not be written to `path`, checked before the run so a
 * bad path costs nothing: a folder, a missing or non-folder parent, or no
 * write permission. Undefined when it looks writable (a device such as
 * /dev/null is fine).
 */
async function exportPathProblem(path: string): Promise<string | undefined> {
  const full = resolve(path);
  const info = await stat(full).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' || e.code === 'ENOTDIR' ? undefined : e));
  if (info instanceof Error) return `cannot use ${path}: ${errorMessage(info)}`;
  if (info !== undefined) {
    if (info.isDirectory()) return `${path} is a folder, not a file; give a file path, e.g. ${join(path, 'summary.json')}`;
    return access(full, constants.W_OK).then(
      () => undefined,
      () => `${path} is not writable`,
    );
  }
  const dir = dirname(full);
  const parent = await stat(dir).catch(() => undefined);
  if (parent === undefined) return `the folder ${dir} does not exist`;
  if (!parent.isDirectory()) return `${dir} is not a folder`;
  return access(dir, constants.W_OK | constants.X_OK).then(
    () => undefined,
    () => `cannot create files in ${dir}`,
  );
}

/** Exit code for a finished run. */
export function exitCodeFor(summary: RunSummary): number {
  switch (summary.status) {
    case 'passed':
      return EXIT.ok;
    case 'failed':
      return EXIT.thresholdsFailed;
    case 'aborted':
      return EXIT.aborted;
    case 'error':
      return EXIT.failure;
  }
}

/** Live display: one redrawn line on a TTY, a plain line every few seconds otherwise. */
class ProgressDisplay {
  private lastPlain = -Infinity;
  private drawn = false;

  constructor(
    private readonly out: Output,
    private readonly everyMs: number,
  ) {}

  update(p: Progress): void {
    const line = formatProgress(p);
    if (this.out.isTTY) {
      const width = this.out.columns ?? 120;
      this.out.write(`\r\x1b[2K${line.slice(0, Math.max(20, width - 1))}`);
      this.drawn = true;
    } else if (p.elapsedMs - this.lastPlain >= this.everyMs || p.stopping) {
      this.out.write(`${line}\n`);
      this.lastPlain = p.elapsedMs;
    }
  }

  note(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
  }

  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}

/** `burnwatch run`; returns the exit code. */
export async function runCommand(probeFile: string, options: RunCommandOptions = {}): Promise<number> {
  const out: Output = options.out ?? process.stdout;
  const err: Output = options.err ?? options.out ?? process.stderr;
  let segment: Segment | undefined;
  if (options.segment !== undefined) {
    try {
      segment = parseSegment(options.segment);
    } catch (e) {
      err.write(`--segment: ${errorMessage(e)}\n`);
      return EXIT.invalidConfig;
    }
  }
  const threads = typeof options.threads === 'string' ? (/^\s*\d+\s*$/.test(options.threads) ? Number(options.threads) : NaN) : options.threads;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    err.write(`--threads: expected a whole number of at least 1, got ${String(options.threads)}\n`);
    return EXIT.invalidConfig;
  }
  const httpDebug = options.httpDebug === true || options.httpDebug === 'headers' ? 'headers' : options.httpDebug;
  if (httpDebug !== undefined && httpDebug !== 'headers' && httpDebug !== 'full') {
    err.write(`--http-debug: expected no value (headers) or full, got ${httpDebug}\n`);
    return EXIT.invalidConfig;
  }
  let trendStats: string[] | undefined;
  if (options.summaryTrendStats !== undefined) {
    const parsed = parseTrendStats(options.summaryTrendStats);
    if ('problem' in parsed) {
      err.write(`--summary-trend-stats: ${parsed.problem}\n`);
      return EXIT.invalidConfig;
    }
    trendStats = parsed.stats;
  }
  if (options.summaryExport !== undefined) {
    const problem = await exportPathProblem(options.summaryExport);
    if (problem !== undefined) {
      err.write(`--summary-export: ${problem}; nothing was run\n`);
      return EXIT.invalidConfig;
    }
  }
  const loaded = await loadProbe(probeFile, options.probe);
  if (!loaded.ok) {
    for (const line of loaded.errors) err.write(`${line}\n`);
    err.write(`${probeFile}: invalid probe file, nothing was run\n`);
    return EXIT.invalidConfig;
  }
  for (const w of loaded.warnings) err.write(`${w}\n`);
  const probe = trendStats !== undefined ? { ...loaded.probe, summaryTrendStats: trendStats } : loaded.probe;
  const fdWarning = fdLimitWarning(probe, segment);
  if (fdWarning !== undefined) err.write(`warning: ${fdWarning}\n`);
  const display = new ProgressDisplay(out, (options.progressEverySeconds ?? 5) * 1000);
  out.write(`burnwatch run · probe ${probe.name} · ${redact(probe.target, [])}\n${describeScenario(probe)}${segment ? ` · segment ${segment.index + 1}/${segment.count}` : ''}\n`);

  try {
    for (const { origin, proxy } of proxiedOrigins(probe, readProxyEnv(options.env ?? process.env))) out.write(`  through proxy ${proxy.url} (${proxy.variable}): ${redact(origin, [])}\n`);
  } catch {
    // A bad variable: startRun says so, and the run does not start.
  }
  let run: ReturnType<typeof startRun>;
  try {
    run = startRun(probe, {
      ...(options.env ? { env: options.env } : {}),
      ...(httpDebug !== undefined ? { httpDebug, debugOut: err } : {}),
      maxRps: loaded.maxRps,
      ...(segment ? { segment } : {}),
      ...(threads !== undefined ? { threads } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (p) => display.update(p),
    });
  } catch (e) {
    err.write(`${probeFile}: ${errorMessage(e)}\n`);
    return e instanceof BurnwatchError && e.code.startsWith('PROBE_') ? EXIT.invalidConfig : EXIT.failure;
  }

  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts === 1) {
      display.note(`${signal}: stopping gracefully (in-flight requests get gracefulStop); press Ctrl-C again to stop at once`);
      run.stop(`interrupted (${signal})`);
    } else {
      display.note(`${signal}: stopping now`);
      run.stop(`interrupted (${signal})`, { hard: true });
    }
  };
  const handle = options.handleSignals ?? true;
  if (handle) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let summary: RunSummary;
  try {
    summary = await run.done;
  } finally {
    if (handle) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
  display.clear();
  out.write(formatSummary(summary, probe.summaryTrendStats));
  if (options.summaryExport !== undefined) {
    try {
      await writeFile(options.summaryExport, `${JSON.stringify(summary, null, 2)}\n`);
      out.write(`summary written to ${options.summaryExport}\n`);
    } catch (e) {
      // As k6 ("failed to handle the end-of-test summary"): the run's own exit code stands.
      err.write(`--summary-export: failed to write the end-of-test summary to ${options.summaryExport}: ${errorMessage(e)}\n`);
    }
  }
  return exitCodeFor(summary);
}
