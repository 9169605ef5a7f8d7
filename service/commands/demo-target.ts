import { startDemoTarget } from '../../demo/target/index.ts';
import { EXIT } from '../exit-codes.ts';

/** `burnwatch demo-target`: the demo experimentation platform alone, until SIGINT/SIGTERM. */
export async function demoTargetCommand(options: { port: number; host: string }): Promise<number> {
  const target = await startDemoTarget({ host: options.host, port: options.port });
  process.stdout.write(`demo target listening on ${target.url} (fault injection: POST ${target.url}/admin/faults)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await target.close();
  return EXIT.ok;
}
