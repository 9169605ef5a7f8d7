import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { textSink } from '../test/tools.ts';
import { replayCommand } from '../service/commands/replay.ts';

const dir = mkdtempSync(join(tmpdir(), 'bw-replay-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = join(dir, 'burnwatch.yaml');
writeFileSync(
  config,
  `apiVersion: burnwatch/v1
kind: Probe
metadata: { name: shop }
spec:
  target: http://127.0.0.1:8081
  scenario: { executor: constant-vus, vus: 1, duration: 10s }
  requests: [{ name: checkout, url: /checkout }]
---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: checkout-errors }
spec: { probe: shop, indicator: { errorRate: {} }, objective: 99.9 }
`,
);


/** One day of minutes (Unix seconds) with a 30 minute 5 % spike starting at 12:00. */
function csv(): string {
  const t0 = Date.UTC(2025, 2, 10);
  const spike = t0 + 12 * 3_600_000;
  const lines = ['timestamp,good,total'];
  for (let t = t0; t < t0 + 14 * 3_600_000; t += 60_000) lines.push(`${t / 1000},${t >= spike && t < spike + 1_800_000 ? 950 : 1000},1000`);
  return lines.join('\n');
}

describe('burnwatch replay', () => {
  it('prints one JSON line per alert transition and a final budget line', async () => {
    const sli = join(dir, 'history.csv');
    writeFileSync(sli, csv());
    const stdout = textSink();
    const stderr = textSink();
    expect(await replayCommand({ config, slo: 'checkout-errors', sli, stdout, stderr })).toBe(0);
    expect(stderr.text).toBe('');
    const lines = stdout.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // With only half a day of history the 3d window is short too: the 6h/3d ticket fires first, and is still firing at the end.
    expect(lines.slice(0, -1).map((l) => [l.at, l.alert, l.severity, l.state])).toEqual([
      ['2025-03-10T12:15:00.000Z', 'ticket', 'ticket', 'firing'],
      ['2025-03-10T12:18:00.000Z', 'page', 'page', 'firing'],
      ['2025-03-10T12:34:00.000Z', 'page', 'page', 'resolved'],
    ]);
    expect(Object.keys(lines[0]!)).toEqual(['at', 'alert', 'severity', 'state', 'burnRate']);
    expect(lines.at(-1)).toMatchObject({ at: '2025-03-10T14:00:00.000Z', budget: { window: '30d' }, firing: ['ticket'] });
    const out = join(dir, 'out.jsonl');
    expect(await replayCommand({ config, slo: 'checkout-errors', sli, out, stderr })).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(stdout.text);
  });

  it.each([
    ['an SLO that does not exist', { slo: 'nope' }, 'csv', /no SLO named "nope" .*; SLOs: checkout-errors/],
    ['a CSV that does not exist', { sli: '/nope/none.csv' }, 'csv', /could not read \/nope\/none\.csv/],
    ['a malformed CSV', {}, 'timestamp,good,total\n2025-01-01T00:00:00Z,5,2\n', /bad\.csv:2: good \(5\) is more than total \(2\)/],
  ])('exits 2 with a clear message for %s', async (_name, override, text, message) => {
    const sli = join(dir, 'bad.csv');
    writeFileSync(sli, text === 'csv' ? csv() : text);
    const stderr = textSink();
    expect(await replayCommand({ config, slo: 'checkout-errors', sli, stdout: textSink(), stderr, ...override })).toBe(2);
    expect(stderr.text).toMatch(message);
  });
});
