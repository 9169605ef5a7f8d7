import { writeFileSync } from 'node:fs';
import { errorMessage } from '../../common/index.ts';
import { formatConfigIssue, loadConfig } from '../config/index.ts';
import type { Config } from '../config/index.ts';
import { EXIT } from '../exit-codes.ts';

/** Loads a config for a command; prints its problems. Returns the exit code on failure. */
export async function loadForCommand(path: string, stderr: NodeJS.WritableStream): Promise<{ config: Config } | { code: number }> {
  const r = await loadConfig(path);
  for (const w of r.warnings) stderr.write(`${formatConfigIssue(w)}\n`);
  if (!r.ok) {
    for (const e of r.errors) stderr.write(`${formatConfigIssue(e)}\n`);
    stderr.write(`${r.errors.length} error${r.errors.length === 1 ? '' : 's'} in ${path}\n`);
    return { code: EXIT.invalidConfig };
  }
  return { config: r.config };
}

/**
 * Writes a command's output to `--out FILE`, or to stdout without one.
 * Returns the exit code: 0, or 2 with a sentence on stderr when the file
 * cannot be written (a missing folder, a full disk) — nothing is lost silently.
 */
export function writeOutput(
  command: string,
  text: string,
  out: string | undefined,
  streams: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): number {
  if (out === undefined) {
    streams.stdout.write(text);
    return EXIT.ok;
  }
  try {
    writeFileSync(out, text);
  } catch (err) {
    streams.stderr.write(`burnwatch ${command}: could not write ${out}: ${errorMessage(err)}\n`);
    return EXIT.usage;
  }
  return EXIT.ok;
}
