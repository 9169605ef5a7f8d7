import { formatConfigIssue, loadConfig } from '../config/index.ts';
import { EXIT } from '../exit-codes.ts';

export interface ValidateOptions {
  config: string;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/** `burnwatch validate`: prints every problem of every file; exit 0 when valid, 104 otherwise. */
export async function validateCommand(options: ValidateOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const result = await loadConfig(options.config);
  for (const w of result.warnings) err.write(`${formatConfigIssue(w)}\n`);
  if (!result.ok) {
    for (const e of result.errors) err.write(`${formatConfigIssue(e)}\n`);
    err.write(`${result.errors.length} error${result.errors.length === 1 ? '' : 's'} in ${options.config}\n`);
    return EXIT.invalidConfig;
  }
  const c = result.config;
  out.write(
    `${options.config}: valid (${c.files.length} file${c.files.length === 1 ? '' : 's'}: ${c.probes.size} probes, ${c.slos.size} SLOs, ` +
      `${c.notifiers.size} notifiers, ${c.reports.size} reports)\n`,
  );
  return EXIT.ok;
}
