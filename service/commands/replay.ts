/**
 * `burnwatch replay --config PATH --slo NAME --sli FILE.csv [--out FILE]`:
 * alert backtesting. Replays a recorded `timestamp,good,total` series through
 * the service's own evaluator and prints one JSON line per alert transition
 * (`{"at","alert","severity","state","burnRate"}`) and a final budget line.
 */
import { readFileSync } from 'node:fs';
import { errorMessage } from '../../common/index.ts';
import { parseSliCsv, replay } from '../../slos/index.ts';
import { EXIT } from '../exit-codes.ts';
import { loadForCommand, writeOutput } from './load.ts';

export interface ReplayCommandOptions {
  config: string;
  /** SLO name. */
  slo: string;
  /** CSV file: `timestamp,good,total`, timestamps ISO 8601 or Unix seconds, any step. */
  sli: string;
  /** Write the JSON lines here instead of stdout. */
  out?: string;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

/**
 * Exit 0 ok, 104 invalid config, 2 bad input (unknown SLO, unreadable or
 * malformed CSV, unwritable output).
 *
 * @example
 * await replayCommand({ config: 'demo/config', slo: 'events-errors', sli: 'history.csv' });
 */
export async function replayCommand(options: ReplayCommandOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const loaded = await loadForCommand(options.config, stderr);
  if ('code' in loaded) return loaded.code;
  const slos = [...loaded.config.slos.values()];
  const slo = slos.find((s) => s.name === options.slo);
  if (!slo) {
    const names = slos.map((s) => s.name);
    stderr.write(`burnwatch replay: no SLO named "${options.slo}" in ${options.config}; SLOs: ${names.length ? names.join(', ') : 'none'}\n`);
    return EXIT.usage;
  }
  let text: string;
  try {
    text = readFileSync(options.sli, 'utf8');
  } catch (err) {
    stderr.write(`burnwatch replay: could not read ${options.sli}: ${errorMessage(err)}\n`);
    return EXIT.usage;
  }
  const { rows, problems } = parseSliCsv(text);
  if (problems.length > 0) {
    for (const p of problems) stderr.write(`${options.sli}:${p.line}: ${p.message}\n`);
    return EXIT.usage;
  }
  const { transitions, end } = replay(slo, rows);
  const out = [...transitions, end].map((l) => JSON.stringify(l)).join('\n') + '\n';
  return writeOutput('replay', out, options.out, { stdout, stderr });
}
