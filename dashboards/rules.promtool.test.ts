/**
 * The generated rules against the real Prometheus toolchain:
 * `promtool check rules` on the demo config and every example, and a
 * `promtool test rules` suite on synthetic series — the page fires and
 * resolves, does not fire at burn rate 1, and a window without traffic
 * records nothing (no NaN) and alerts nothing.
 *
 * promtool is required in CI (`process.env.CI`); locally the suite is skipped
 * when it is not installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary, textSink } from '../test/tools.ts';
import { rulesCommand } from '../service/commands/rules.ts';
import { sloSpecSchema, toSlo } from '../slos/index.ts';
import { generateRules } from './rules.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const promtoolBinary = requireBinary('promtool');

const dir = mkdtempSync(join(tmpdir(), 'bw-promtool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function promtool(...args: string[]): { code: number; out: string } {
  const r = spawnSync(promtoolBinary.need(), args, { cwd: dir, encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe.skipIf(promtoolBinary.skip)('promtool', () => {
  it.each([
    ['the demo config', 'demo/config'],
    ['a config with latency, error-rate, cache and uptime SLOs', 'examples/all-kinds.yaml'],
  ])('check rules passes on the rules of %s (burnwatch rules)', async (_name, config) => {
    const out = join(dir, `${config.replace(/\W/g, '_')}.yml`);
    const stderr = textSink();
    expect(await rulesCommand({ config: join(ROOT, config), out, stderr })).toBe(0);
    const r = promtool('check', 'rules', out);
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('check rules passes on every golden file', () => {
    for (const f of ['all-kinds.rules.yml', 'openslo.rules.yml']) {
      const r = promtool('check', 'rules', join(ROOT, 'examples', '_gen', f));
      expect(r.code, r.out).toBe(0);
    }
  });

  it('test rules: the page fires on an outage and resolves after it, not at burn rate 1, not without traffic', () => {
    const slo = toSlo('checkout-errors', sloSpecSchema.parse({ service: 'shop', probe: 'checkout', indicator: { errorRate: {} }, objective: 99.9 }));
    writeFileSync(join(dir, 'rules.yml'), generateRules([slo], { version: 'test' }));
    const series = (outcome: string, values: string): { series: string; values: string } => ({
      series: `burnwatch_probe_requests_total{probe="checkout",request="pay",outcome="${outcome}"}`,
      values,
    });
    const ids = { sloth_id: 'shop-checkout-errors', sloth_service: 'shop', sloth_slo: 'checkout-errors', slo: 'checkout-errors' };
    const alert = (severity: string): unknown => ({
      exp_labels: { ...ids, severity, sloth_severity: severity },
      exp_annotations: {
        summary: 'shop checkout-errors SLO error budget burn rate is over expected.',
        title: `(${severity}) shop checkout-errors SLO error budget burn rate is too fast.`,
      },
    });
    const pageAlerts = 'ALERTS{alertname="CheckoutErrorsBurnRate", sloth_severity="page"}';
    const tests = {
      rule_files: ['rules.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          name: 'a 30 minute outage after an hour of clean traffic pages within minutes, and the page resolves once the short windows are clean',
          interval: '1m',
          input_series: [series('ok', '0+1000x60 60000+0x30 60000+1000x120'), series('http_error', '0+0x60 0+1000x30 30000+0x120')],
          alert_rule_test: [
            { eval_time: '59m', alertname: 'CheckoutErrorsBurnRate', exp_alerts: [] },
            // (promtool evaluates rule groups in no fixed order, so assert a few minutes after the onset)
            { eval_time: '70m', alertname: 'CheckoutErrorsBurnRate', exp_alerts: [alert('page'), alert('ticket')] },
            { eval_time: '89m', alertname: 'CheckoutErrorsBurnRate', exp_alerts: [alert('page'), alert('ticket')] },
            // 60 minutes after the outage: 5m and 30m windows clean → page resolved; the 2h/1d ticket still holds
            { eval_time: '150m', alertname: 'CheckoutErrorsBurnRate', exp_alerts: [alert('ticket')] },
          ],
          promql_expr_test: [
            // all requests failing: the 5m error ratio is exactly 1
            {
              expr: 'slo:sli_error:ratio_rate5m',
              eval_time: '80m',
              exp_samples: [{ labels: 'slo:sli_error:ratio_rate5m{sloth_id="shop-checkout-errors",sloth_service="shop",sloth_slo="checkout-errors",sloth_window="5m"}', value: 1 }],
            },
            { expr: 'slo:objective:ratio', eval_time: '80m', exp_samples: [{ labels: 'slo:objective:ratio{sloth_id="shop-checkout-errors",sloth_service="shop",sloth_slo="checkout-errors"}', value: 0.9990000000000001 }] },
          ],
        },
        {
          name: 'burn rate 1 (0.1 % errors) for six hours never pages',
          interval: '1m',
          input_series: [series('ok', '0+999x360'), series('http_error', '0+1x360')],
          promql_expr_test: ['30m', '1h', '3h', '6h'].map((eval_time) => ({ expr: pageAlerts, eval_time, exp_samples: [] })),
        },
        {
          name: 'a window without traffic records no SLI (no NaN) and raises no alert',
          interval: '1m',
          input_series: [series('ok', '1000x120'), series('http_error', '5x120')],
          promql_expr_test: [
            { expr: 'slo:sli_error:ratio_rate5m', eval_time: '60m', exp_samples: [] },
            { expr: 'slo:sli_error:ratio_rate1h', eval_time: '90m', exp_samples: [] },
            { expr: 'ALERTS', eval_time: '90m', exp_samples: [] },
          ],
        },
      ],
    };
    writeFileSync(join(dir, 'test.yml'), stringify(tests));
    const r = promtool('test', 'rules', 'test.yml');
    expect(r.out).toContain('SUCCESS');
    expect(r.code, `${r.out}\n${readFileSync(join(dir, 'test.yml'), 'utf8')}`).toBe(0);
  });
});
