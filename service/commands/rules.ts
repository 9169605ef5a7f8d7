/**
 * `burnwatch rules [--config PATH] [--out FILE]`: the Prometheus recording and
 * alerting rules (Sloth's names) for every SLO of a config.
 */
import { errorMessage } from '../../common/index.ts';
import { generateRuleFile } from '../../dashboards/index.ts';
import { EXIT } from '../exit-codes.ts';
import { packageVersion, resolveConfigPath } from '../paths.ts';
import { loadForCommand, writeOutput } from './load.ts';

export interface RulesCommandOptions {
  /** Config file or folder; default as every command resolves it (`$BURNWATCH_CONFIG`, ./burnwatch.yaml, the demo). */
  config?: string;
  /** Write the rules here instead of stdout. */
  out?: string;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}


/**
 * Prints (or writes to `out`) the rule file. Exit 0 ok, 104 invalid config,
 * 2 when the output file cannot be written. What the probe series cannot
 * express exactly is printed as a warning (and noted at the top of the file).
 *
 * @example
 * await rulesCommand({ config: 'demo/config', out: 'slo-rules.yml' });
 */
export async function rulesCommand(options: RulesCommandOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const path = resolveConfigPath(options.config).path;
  const loaded = await loadForCommand(path, stderr);
  if ('code' in loaded) return loaded.code;
  let yaml: string;
  try {
    const file = generateRuleFile([...loaded.config.slos.values()], { version: packageVersion() });
    for (const w of file.warnings) stderr.write(`warning: SLO ${w.slo}: ${w.message}\n`);
    yaml = file.yaml;
  } catch (err) {
    stderr.write(`burnwatch rules: ${errorMessage(err)}\n`);
    return EXIT.usage;
  }
  return writeOutput('rules', yaml, options.out, { stdout, stderr });
}
