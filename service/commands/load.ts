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
