import { describe, expect, it } from 'vitest';
import { readOtelSettings, redactUrl } from './otel-config.ts';

describe('OTEL_* environment settings', () => {
  it('exports no traces when no endpoint is set, and says why', () => {
    const s = readOtelSettings({}, 'burnwatch');
    expect(s.traces).toEqual({ exporter: 'none', reason: 'no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set' });
    expect(s.serviceName).toBe('burnwatch');
    expect(s.sampler).toEqual({ kind: 'parentbased_always_on' });
    expect(s.prometheus).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(s.warnings).toEqual([]);
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'http://collector:4318/v1/traces'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/otlp/' }, 'http://collector:4318/otlp/v1/traces'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/custom/path' }, 'https://b/custom/path'],
  ])('sends traces for %o to %s', (env, url) => {
    const s = readOtelSettings(env, 'burnwatch');
    expect(s.traces).toMatchObject({ exporter: 'otlp', url });
  });

  it('merges OTLP headers, the traces-specific ones winning, values percent-decoded', () => {
    const s = readOtelSettings(
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc, x-tenant=a', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=b' },
      'burnwatch',
    );
    expect(s.traces).toMatchObject({ headers: { authorization: 'Bearer abc', 'x-tenant': 'b' } });
  });

  it('never repeats a malformed header entry in its warning, as it may hold a secret', () => {
    const s = readOtelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: 'supersecrettoken' }, 'burnwatch');
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).not.toContain('supersecrettoken');
  });

  it.each([
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }, { kind: 'traceidratio', ratio: 0.25 }, 0],
    [{ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio' }, { kind: 'parentbased_traceidratio', ratio: 1 }, 0],
    [{ OTEL_TRACES_SAMPLER: 'always_off' }, { kind: 'always_off' }, 0],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '7' }, { kind: 'traceidratio', ratio: 1 }, 1],
    [{ OTEL_TRACES_SAMPLER: 'jaeger_remote' }, { kind: 'parentbased_always_on' }, 1],
  ])('reads sampler %o as %o with %d warnings', (env, sampler, warnings) => {
    const s = readOtelSettings(env, 'burnwatch');
    expect(s.sampler).toEqual(sampler);
    expect(s.warnings).toHaveLength(warnings);
  });

  it('takes the service name from OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then the default', () => {
    expect(readOtelSettings({ OTEL_SERVICE_NAME: 'bw-eu', OTEL_RESOURCE_ATTRIBUTES: 'service.name=x' }, 'burnwatch').serviceName).toBe('bw-eu');
    const s = readOtelSettings({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=x,deployment.environment.name=prod%20eu' }, 'burnwatch');
    expect(s.serviceName).toBe('x');
    expect(s.resourceAttributes).toEqual({ 'deployment.environment.name': 'prod eu' });
  });

  it('turns everything off with OTEL_SDK_DISABLED=true, endpoint or not', () => {
    const s = readOtelSettings({ OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, 'burnwatch');
    expect(s.disabled).toBe(true);
    expect(s.traces).toEqual({ exporter: 'none', reason: 'OTEL_SDK_DISABLED is true' });
    expect(s.prometheus).toBeUndefined();
  });

  it('honours OTEL_TRACES_EXPORTER=none and warns about unsupported exporters and protocols', () => {
    expect(readOtelSettings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, 'b').traces.exporter).toBe('none');
    const s = readOtelSettings({ OTEL_TRACES_EXPORTER: 'otlp,zipkin', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317' }, 'b');
    expect(s.traces.exporter).toBe('otlp');
    expect(s.warnings.join('\n')).toMatch(/zipkin is not supported[\s\S]*grpc is not supported/);
  });

  it.each([
    [{ OTEL_EXPORTER_PROMETHEUS_PORT: '0' }, { host: '127.0.0.1', port: 0 }],
    [{ OTEL_EXPORTER_PROMETHEUS_HOST: '0.0.0.0', OTEL_EXPORTER_PROMETHEUS_PORT: '9999' }, { host: '0.0.0.0', port: 9999 }],
    [{ OTEL_EXPORTER_PROMETHEUS_PORT: 'http' }, { host: '127.0.0.1', port: 9464 }],
    [{ OTEL_METRICS_EXPORTER: 'none' }, undefined],
  ])('serves OTel metrics for %o on %o', (env, prometheus) => {
    expect(readOtelSettings(env, 'b').prometheus).toEqual(prometheus);
  });

  it('removes credentials from URLs it logs', () => {
    expect(redactUrl('https://user:pw@collector:4318/v1/traces')).toBe('https://collector:4318/v1/traces');
  });
});
