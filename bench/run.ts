/**
 * `npm run bench`: every benchmark in one run, peers side by side, as
 * markdown ready for BENCHMARKS.md.
 *
 *   npm run bench                  # everything (about 17 minutes on 2 cores)
 *   npm run bench -- --quick       # shortened runs, a smoke test of the bench itself
 *   npm run bench -- --only slo    # one part: load | slo
 *   npm run bench -- --write       # also rewrite BENCHMARKS.md's results section
 *
 * Performance is compared by ratios against peer tools measured in the same
 * run (autocannon, wrk), never by absolute times in unit tests.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { formatLoadTable, machineDescription, runLoadBench } from './load/load-bench.ts';
import { formatSloTable, runSloBench } from './slo/index.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
if (only !== undefined && only !== 'load' && only !== 'slo') {
  process.stderr.write(`--only takes load or slo, got ${String(only)}\n`);
  process.exit(2);
}

const command = `npm run bench${args.length > 0 ? ` -- ${args.filter((a) => a !== '--write').join(' ')}` : ''}`.trim();
const started = Date.now();
let failed = false;
let out = `Machine: ${machineDescription()}\nDate: ${new Date().toISOString().slice(0, 10)}\nCommand: \`${command}\`\n`;

if (only === undefined || only === 'load') {
  process.stderr.write('load engine: burnwatch vs autocannon vs wrk against one loopback target...\n');
  const rows = await runLoadBench({ quick });
  failed ||= rows.some((r) => r.pass === false);
  out += `\n### Load engine\n\n${formatLoadTable(rows)}`;
}
if (only === undefined || only === 'slo') {
  process.stderr.write('SLO engine: evaluation and store size...\n');
  const rows = await runSloBench({ quick });
  failed ||= rows.some((r) => r.pass === false);
  out += `\n### SLO engine\n\n${formatSloTable(rows)}\n`;
}
out += `\nTotal bench time: ${Math.round((Date.now() - started) / 1000)} s\n`;
process.stdout.write(`\n${out}`);

if (args.includes('--write')) {
  const file = 'BENCHMARKS.md';
  const marker = '<!-- bench results: `npm run bench -- --write` replaces everything below -->';
  const text = readFileSync(file, 'utf8');
  const head = text.includes(marker) ? text.slice(0, text.indexOf(marker)) : `${text.trimEnd()}\n\n`;
  writeFileSync(file, `${head}${marker}\n\n## Latest results\n\n${out}`);
  process.stderr.write(`wrote ${file}\n`);
}
// A missed target is a finding to record, not a crash: the exit code says so for CI dashboards.
if (failed) process.exitCode = 1;
