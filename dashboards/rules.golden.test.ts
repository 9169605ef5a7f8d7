/**
 * Golden files (Sloth's `examples/_gen` habit): the rules generated from
 * `examples/*.yaml` are committed in `examples/_gen/` and must not drift.
 * Regenerate with `UPDATE_GOLDEN=1 npx vitest run dashboards/rules.golden.test.ts`.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GENERATED_HEADER } from '../common/index.ts';
import { formatConfigIssue, loadConfig } from '../service/config/index.ts';
import type { Slo } from '../slos/index.ts';
import { generateRules } from './rules.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GEN = join(ROOT, 'examples', '_gen');
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The SLOs of an example file, loaded as `burnwatch rules` loads them (burnwatch and OpenSLO documents). */
async function exampleSlos(file: string): Promise<Slo[]> {
  const r = await loadConfig(file);
  if (!r.ok) throw new Error(r.errors.map(formatConfigIssue).join('\n'));
  return [...r.config.slos.values()];
}

const EXAMPLES = ['all-kinds', 'openslo'];

describe('examples/_gen golden rule files', () => {
  it.each(EXAMPLES)('examples/%s.yaml generates its golden rule file exactly', async (name) => {
    const yaml = generateRules(await exampleSlos(join(ROOT, 'examples', `${name}.yaml`)), { version });
    const golden = join(GEN, `${name}.rules.yml`);
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, yaml);
    expect(yaml).toBe(readFileSync(golden, 'utf8'));
  });

  it('every generated file starts with the generated-by line', () => {
    const files = readdirSync(GEN);
    expect(files.length).toBeGreaterThanOrEqual(EXAMPLES.length);
    for (const f of files) expect(readFileSync(join(GEN, f), 'utf8').split('\n')[0], f).toBe(`# ${GENERATED_HEADER}`);
  });
});
