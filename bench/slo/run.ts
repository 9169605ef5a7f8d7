/** `node bin/run-ts.js bench/slo/run.ts [--quick]`: the SLO engine benchmarks alone. */
import { formatSloTable, runSloBench } from './index.ts';

const rows = await runSloBench({ quick: process.argv.includes('--quick') });
process.stdout.write(`${formatSloTable(rows)}\n`);
if (rows.some((r) => r.pass === false)) process.exitCode = 1;
