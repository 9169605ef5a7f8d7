/**
 * The `burnwatch` command line. Each subcommand is a function in
 * `commands/` returning an exit code; this file only parses arguments.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { errorMessage } from '../common/index.ts';
import { demoTargetCommand } from './commands/demo-target.ts';
import { replayCommand } from './commands/replay.ts';
import { rulesCommand } from './commands/rules.ts';
import { runCommand } from './commands/run.ts';
import { serveCommand } from './commands/serve.ts';
import { validateCommand } from './commands/validate.ts';
import { LOG_LEVELS } from './config/index.ts';
import { EXIT } from './exit-codes.ts';
import { packageVersion, resolveConfigPath } from './paths.ts';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number between 0 and 65535');
  return n;
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command();
  // Before any .command(): commander copies this setting to a subcommand when it is created, and a subcommand
  // without it calls process.exit(1) itself on a usage error.
  program.exitOverride((err) => {
    setExit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
    throw err;
  });
  program
    .name('burnwatch')
    .description('Continuous SLO validation: scheduled synthetic load probes, error budgets, burn-rate alerts, rules as code.')
    .version(packageVersion())
    .showHelpAfterError()
    .addHelpText(
      'after',
      `
Config: --config takes a YAML file or a folder of them; without it burnwatch
uses $BURNWATCH_CONFIG, ./burnwatch.yaml or ./burnwatch/, else the demo config.
Exit codes: 0 ok, 1 failure, 2 usage, 99 thresholds failed, 104 invalid config, 105 run aborted.`,
    );

  program
    .command('serve')
    .description('run the long-running service (probes on schedule, SLOs, /metrics, API, status page); no config = the demo')
    .option('--config <path>', 'config file or folder')
    .option('--data-dir <dir>', 'state directory (overrides the config)')
    .addOption(new Option('--log-level <level>', 'log level').choices([...LOG_LEVELS]))
    .action(async (opts: { config?: string; dataDir?: string; logLevel?: (typeof LOG_LEVELS)[number] }) => {
      setExit(await serveCommand(opts));
    });

  program
    .command('run')
    .description('run one load test now: live progress, end summary; exit 0 when all thresholds pass, 99 when any fails')
    .argument('<probe-file>', 'YAML file holding the Probe (and optionally a Service document for maxRps), or a config file or folder with --probe')
    .option('--probe <name>', 'the Probe to run when the file or folder holds several (e.g. a scheduled probe of the service config)')
    .option(
      '--summary-export <file>',
      `write the run's summary as JSON; its metrics have the shape of k6's handleSummary() data (metrics.NAME.values["p(95)"], ` +
        `thresholds {"p(95)<500": {"ok": true}}), not of k6's legacy --summary-export file (metrics.NAME["p(95)"], thresholds true = failed)`,
    )
    .option('--summary-trend-stats <stats>', "the trend values the summary table shows, in order, as k6's option: avg, min, med, max, count, p(N) (e.g. 'avg,p(95),p(99.99)', quoted: the shell reads the parentheses); overrides the probe's summaryTrendStats")
    .option('--http-debug [mode]', "write each request and response to stderr as it goes, as k6's --http-debug: headers; --http-debug=full adds the bodies (up to maxResponseBytes)")
    .option('--segment <i/n>', "run the i-th of n shares of the scenario (k6 execution segments: equal VU shares, iterations following the VUs), e.g. 2/4")
    // Checked by runCommand, not by commander: a bad --threads is bad input (104), like a bad --segment.
    .option('--threads <n>', 'load-generating worker threads (default: enough for the load, at most cores − 1)')
    .addHelpText(
      'after',
      `
Exit codes: 0 every threshold passed, 99 a threshold failed, 104 invalid probe
file or option (--segment, --threads, --summary-trend-stats, --http-debug, an unwritable --summary-export path,
a --probe name the file lacks), 105 aborted before its end (auto-abort,
redirects above maxRps, Ctrl-C), 1 failure, 2 usage.`,
    )
    .action(async (file: string, opts: { probe?: string; summaryExport?: string; summaryTrendStats?: string; httpDebug?: string | true; segment?: string; threads?: string }) => {
      setExit(await runCommand(file, opts));
    });

  program
    .command('validate')
    .description('check a config; prints every problem as file:line:col key.path: message')
    .option('--config <path>', 'config file or folder')
    .action(async (opts: { config?: string }) => {
      setExit(await validateCommand({ config: resolveConfigPath(opts.config).path }));
    });

  program
    .command('rules')
    .description('write Prometheus recording and alert rules for every SLO (Sloth-compatible names)')
    .option('--config <path>', 'config file or folder')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (opts: { config?: string; out?: string }) => {
      setExit(await rulesCommand({ config: resolveConfigPath(opts.config).path, out: opts.out }));
    });

  program
    .command('replay')
    .description('alert backtest: the alert transitions an SLO would have had over a recorded SLI series (JSON lines)')
    .option('--config <path>', 'config file or folder holding the SLO')
    .requiredOption('--slo <name>', 'SLO to replay')
    .requiredOption('--sli <file.csv>', 'CSV with a timestamp,good,total header; timestamps ISO 8601 or Unix seconds')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (opts: { config?: string; slo: string; sli: string; out?: string }) => {
      setExit(await replayCommand({ ...opts, config: resolveConfigPath(opts.config).path }));
    });

  program
    .command('demo-target')
    .description('run the demo experimentation platform (the default system under test) alone')
    .option('--port <n>', 'port to listen on', port, 8081)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .action(async (opts: { port: number; host: string }) => {
      setExit(await demoTargetCommand(opts));
    });

  return program;
}

/**
 * `--http-debug` takes an optional mode, and commander would take the next
 * argument for it (`--http-debug probe.yaml`, as k6 users write it): a bare
 * flag not followed by a mode is `--http-debug=headers`.
 */
export function normalizeArgs(argv: readonly string[]): string[] {
  return argv.map((a, i) => (a === '--http-debug' && !['headers', 'full'].includes(argv[i + 1] ?? '') ? '--http-debug=headers' : a));
}

/** Runs the CLI; sets `process.exitCode` (the process exits when its work is done). */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram((code) => {
    process.exitCode = code;
  });
  try {
    await program.parseAsync(normalizeArgs(argv));
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) return;
    process.stderr.write(`burnwatch: ${errorMessage(err)}\n`);
    process.exitCode = EXIT.failure;
  }
}

// `node dist/service/cli.js ...` (the build) runs the CLI directly; from sources bin/burnwatch.js calls main().
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  await main(process.argv);
  process.exit(process.exitCode ?? 0);
}
