import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRegistry, openMetricsToText, renderMetrics, wantsOpenMetrics } from './exposition.ts';

describe('the /metrics exposition', () => {
  it.each([
    ['application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1', true],
    ['application/openmetrics-text; version=0.0.1', true],
    ['text/plain;version=0.0.4', false],
    ['*/*', false],
    [undefined, false],
    // Prometheus 2.42's own header: OpenMetrics preferred by q.
    ['application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2', true],
    // q=0 means "not acceptable" (RFC 9110); a higher q for the text format prefers it.
    ['application/openmetrics-text;q=0', false],
    ['text/plain;version=0.0.4,application/openmetrics-text;version=1.0.0;q=0.9', false],
    ['application/openmetrics-text; q=0.8, text/plain; q=0.8', true],
  ])('treats Accept %s as asking for OpenMetrics: %s', (accept, expected) => {
    expect(wantsOpenMetrics(accept)).toBe(expected);
  });

  it('converts counters, drops exemplars, UNIT lines and # EOF for the text format', () => {
    const om = [
      '# HELP a_requests Requests.',
      '# TYPE a_requests counter',
      'a_requests_total{x="1"} 3 # {trace_id="abc"} 1 1700000000.5',
      '# HELP d_seconds Latency.',
      '# UNIT d_seconds seconds',
      '# TYPE d_seconds histogram',
      'd_seconds_bucket{le="+Inf"} 3 # {trace_id="abc",span_id="def"} 0.2 1700000000',
      'd_seconds_sum 0.6',
      'd_seconds_count 3',
      '# EOF',
      '',
    ].join('\n');
    expect(openMetricsToText(om)).toBe(
      [
        '# HELP a_requests_total Requests.',
        '# TYPE a_requests_total counter',
        'a_requests_total{x="1"} 3',
        '# HELP d_seconds Latency.',
        '# TYPE d_seconds histogram',
        'd_seconds_bucket{le="+Inf"} 3',
        'd_seconds_sum 0.6',
        'd_seconds_count 3',
        '',
      ].join('\n'),
    );
  });

  it('drops NaN samples instead of exporting them, in both formats', async () => {
    const registry = createRegistry();
    const g = new client.Gauge({ name: 'maybe_ratio', help: 'x', labelNames: ['k'], registers: [registry] });
    g.set({ k: 'nan' }, Number.NaN);
    g.set({ k: 'one' }, 1);
    for (const accept of ['application/openmetrics-text', undefined]) {
      const { body } = await renderMetrics(registry, accept);
      expect(body).toContain('maybe_ratio{k="one"} 1');
      expect(body).not.toMatch(/nan/i);
      expect(body).toContain('# TYPE maybe_ratio gauge');
    }
  });

  it('uses its own registry, never prom-client\'s global one', async () => {
    const registry = createRegistry();
    new client.Gauge({ name: 'only_here', help: 'x', registers: [registry] }).set(1);
    expect(await client.register.getSingleMetricAsString('only_here').catch(() => 'absent')).toBe('absent');
    expect((await renderMetrics(registry, undefined)).body).toContain('only_here 1');
  });
});
