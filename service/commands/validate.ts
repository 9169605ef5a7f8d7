import { EXIT } from '../exit-codes.ts';
import { loadForCommand } from './load.ts';

export interface ValidateOptions {
  config: string;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/** `burnwatch validate`: prints every problem of every file; exit 0 when valid, 104 otherwise. */
export async function validateCommand(options: ValidateOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const loaded = await loadForCommand(options.config, options.err ?? process.stderr);
  if ('code' in loaded) return loaded.code;
  const c = loaded.config;
  const n = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  out.write(
    `${options.config}: valid (${n(c.files.length, 'file')}: ${n(c.probes.size, 'probe')}, ${c.slos.size} SLO${c.slos.size === 1 ? '' : 's'}, ` +
      `${n(c.notifiers.size, 'notifier')}, ${n(c.reports.size, 'report')})\n`,
  );
  return EXIT.ok;
}
