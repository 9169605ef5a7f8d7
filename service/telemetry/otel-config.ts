/**
 * The OpenTelemetry settings burnwatch reads from the standard `OTEL_*`
 * environment variables, as plain data. Parsed here from the `env` the
 * service was given (not `process.env` behind its back, as the SDK's own
 * helpers do), so tests and embedders can configure one instance at a time.
 *
 * Honoured: OTEL_SDK_DISABLED, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
 * OTEL_TRACES_EXPORTER (otlp | none), OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS,
 * OTEL_EXPORTER_OTLP_TRACES_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT,
 * OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, OTEL_EXPORTER_OTLP_PROTOCOL (only
 * http/json is spoken), OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG,
 * OTEL_METRICS_EXPORTER (prometheus | none), OTEL_EXPORTER_PROMETHEUS_HOST,
 * OTEL_EXPORTER_PROMETHEUS_PORT. The batch span processor reads OTEL_BSP_*
 * itself.
 */
import type { Attributes } from '@opentelemetry/api';

export type SamplerSetting =
  | { kind: 'always_on' | 'always_off' | 'parentbased_always_on' | 'parentbased_always_off' }
  | { kind: 'traceidratio' | 'parentbased_traceidratio'; ratio: number };

export interface OtelSettings {
  /** OTEL_SDK_DISABLED=true: no spans exported, no OTel metrics server (trace ids are still made for logs). */
  disabled: boolean;
  serviceName: string;
  /** From OTEL_RESOURCE_ATTRIBUTES (service.name excluded: it is `serviceName`). */
  resourceAttributes: Attributes;
  /** Where spans go; `none` says why in a sentence. */
  traces: { exporter: 'otlp'; url: string; headers: Record<string, string>; timeoutMs: number } | { exporter: 'none'; reason: string };
  /** The sampler for run spans (request spans are sampled by the load engine). */
  sampler: SamplerSetting;
  /** The OTel metrics (Prometheus exporter) listen address; undefined = off. Port 0 = ephemeral. */
  prometheus: { host: string; port: number } | undefined;
  /** Settings that were wrong or unsupported, as sentences to log once. */
  warnings: string[];
}

/** The Prometheus exporter's registered port (prometheus/prometheus wiki "Default port allocations"). */
export const DEFAULT_PROMETHEUS_PORT = 9464;
/** Loopback by default (the exporter's own default is every interface): a laptop run exposes nothing. */
export const DEFAULT_PROMETHEUS_HOST = '127.0.0.1';
const DEFAULT_OTLP_TIMEOUT_MS = 10_000;
const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

function str(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function list(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const v = str(env, name);
  return v === undefined ? undefined : v.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
}

/** W3C-baggage-like `k=v,k2=v2` with percent-encoded values (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES). */
export function parseKeyValues(raw: string | undefined, what: string, warnings: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  for (const part of raw.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? '' : part.slice(0, eq).trim();
    if (key === '') {
      // Never echo the pair: it may hold a secret (an authorization header).
      warnings.push(`${what} has an entry without "key=value"; ignored it`);
      continue;
    }
    const value = part.slice(eq + 1).trim();
    try {
      out[key] = decodeURIComponent(value);
    } catch {
      out[key] = value;
    }
  }
  return out;
}

function traceUrl(env: NodeJS.ProcessEnv, warnings: string[]): string | undefined {
  const specific = str(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = str(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const [name, url] =
    specific !== undefined
      ? ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', specific]
      : base !== undefined
        ? ['OTEL_EXPORTER_OTLP_ENDPOINT', `${base.replace(/\/+$/, '')}/v1/traces`]
        : [undefined, undefined];
  if (name === undefined || url === undefined) return undefined;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    return u.href;
  } catch {
    warnings.push(`${name} is not an http(s) URL; traces are not exported`);
    return undefined;
  }
}

function positiveNumber(env: NodeJS.ProcessEnv, names: string[], warnings: string[]): number | undefined {
  for (const name of names) {
    const raw = str(env, name);
    if (raw === undefined) continue;
    const n = Number(raw);
    if (Number.isFinite(n) && n > 0) return n;
    warnings.push(`${name}=${raw} is not a positive number of milliseconds; ignored it`);
  }
  return undefined;
}

function readSampler(env: NodeJS.ProcessEnv, warnings: string[]): SamplerSetting {
  const raw = str(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase() ?? 'parentbased_always_on';
  const kind = SAMPLERS.find((s) => s === raw);
  if (kind === undefined) {
    warnings.push(`OTEL_TRACES_SAMPLER=${raw} is not supported (expected one of ${SAMPLERS.join(', ')}); using parentbased_always_on`);
    return { kind: 'parentbased_always_on' };
  }
  if (kind !== 'traceidratio' && kind !== 'parentbased_traceidratio') return { kind };
  const arg = str(env, 'OTEL_TRACES_SAMPLER_ARG');
  const ratio = arg === undefined ? 1 : Number(arg);
  if (!(ratio >= 0 && ratio <= 1)) {
    warnings.push(`OTEL_TRACES_SAMPLER_ARG=${arg} is not a ratio between 0 and 1; using 1`);
    return { kind, ratio: 1 };
  }
  return { kind, ratio };
}

function readPrometheus(env: NodeJS.ProcessEnv, warnings: string[]): { host: string; port: number } | undefined {
  const exporters = list(env, 'OTEL_METRICS_EXPORTER');
  if (exporters?.includes('none')) return undefined;
  for (const e of exporters ?? []) {
    if (e !== 'prometheus') warnings.push(`OTEL_METRICS_EXPORTER=${e} is not supported (only prometheus and none); OTel metrics stay on the Prometheus exporter`);
  }
  const host = str(env, 'OTEL_EXPORTER_PROMETHEUS_HOST') ?? DEFAULT_PROMETHEUS_HOST;
  const rawPort = str(env, 'OTEL_EXPORTER_PROMETHEUS_PORT');
  let port = DEFAULT_PROMETHEUS_PORT;
  if (rawPort !== undefined) {
    const n = Number(rawPort);
    if (Number.isInteger(n) && n >= 0 && n <= 65535) port = n;
    else warnings.push(`OTEL_EXPORTER_PROMETHEUS_PORT=${rawPort} is not a port number (0 = any free port); using ${DEFAULT_PROMETHEUS_PORT}`);
  }
  return { host, port };
}

/**
 * @example
 * readOtelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'burnwatch').traces
 * // { exporter: 'otlp', url: 'http://collector:4318/v1/traces', headers: {}, timeoutMs: 10000 }
 */
export function readOtelSettings(env: NodeJS.ProcessEnv, defaultServiceName: string): OtelSettings {
  const warnings: string[] = [];
  const disabled = str(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true';
  const resource = parseKeyValues(str(env, 'OTEL_RESOURCE_ATTRIBUTES'), 'OTEL_RESOURCE_ATTRIBUTES', warnings);
  const serviceName = str(env, 'OTEL_SERVICE_NAME') ?? resource['service.name'] ?? defaultServiceName;
  delete resource['service.name'];

  let traces: OtelSettings['traces'];
  const exporters = list(env, 'OTEL_TRACES_EXPORTER') ?? ['otlp'];
  for (const e of exporters) {
    if (e !== 'otlp' && e !== 'none') warnings.push(`OTEL_TRACES_EXPORTER=${e} is not supported (only otlp and none); ignored it`);
  }
  const url = traceUrl(env, warnings);
  if (disabled) traces = { exporter: 'none', reason: 'OTEL_SDK_DISABLED is true' };
  else if (exporters.includes('none') || !exporters.includes('otlp')) traces = { exporter: 'none', reason: 'OTEL_TRACES_EXPORTER is none' };
  else if (url === undefined) traces = { exporter: 'none', reason: 'no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set' };
  else {
    const protocol = str(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? str(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
    if (protocol !== undefined && protocol !== 'http/json') {
      warnings.push(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported; burnwatch sends OTLP/HTTP with JSON bodies (collectors accept it on the same :4318 endpoint, not on gRPC's :4317)`);
    }
    traces = {
      exporter: 'otlp',
      url,
      headers: {
        ...parseKeyValues(str(env, 'OTEL_EXPORTER_OTLP_HEADERS'), 'OTEL_EXPORTER_OTLP_HEADERS', warnings),
        ...parseKeyValues(str(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'), 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', warnings),
      },
      timeoutMs: positiveNumber(env, ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT'], warnings) ?? DEFAULT_OTLP_TIMEOUT_MS,
    };
  }
  return {
    disabled,
    serviceName,
    resourceAttributes: resource,
    traces,
    sampler: readSampler(env, warnings),
    prometheus: disabled ? undefined : readPrometheus(env, warnings),
    warnings,
  };
}

/** A URL without its user info, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return u.href;
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return '[invalid url]';
  }
}
