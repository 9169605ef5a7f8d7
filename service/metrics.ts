/**
 * burnwatch's own /metrics. One prom-client registry in OpenMetrics format
 * (exemplars need it); scrapers that ask for the classic text format (and
 * `promtool check metrics`, which parses only that) get the same families
 * converted: counters named with `_total`, exemplars and `# EOF` dropped.
 */
import client from 'prom-client';

export type MetricsRegistry = client.Registry<client.OpenMetricsContentType>;

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function createRegistry(): MetricsRegistry {
  const registry = new client.Registry<client.OpenMetricsContentType>();
  registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

/** Whether an Accept header asks for OpenMetrics (Prometheus sends it first when it can parse it). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept);
}

/** Renders the registry for a request's Accept header. */
export async function renderMetrics(
  registry: MetricsRegistry,
  accept: string | undefined,
): Promise<{ contentType: string; body: string }> {
  const body = fixNaN(await registry.metrics());
  if (wantsOpenMetrics(accept)) return { contentType: registry.contentType, body };
  return { contentType: TEXT_CONTENT_TYPE, body: openMetricsToText(body) };
}

/** prom-client 15 writes `Nan`; both formats spell it `NaN`. */
function fixNaN(body: string): string {
  return body.replace(/ Nan(?= |$)/gm, ' NaN');
}

/**
 * Converts prom-client's OpenMetrics output to the Prometheus text format 0.0.4.
 *
 * @example
 * openMetricsToText('# TYPE a counter\na_total 1 # {trace_id="x"} 1\n# EOF\n')
 * // '# TYPE a_total counter\na_total 1\n'
 */
export function openMetricsToText(body: string): string {
  const lines = body.split('\n');
  const counters = new Set<string>();
  for (const line of lines) {
    const m = /^# TYPE (\S+) counter$/.exec(line);
    if (m) counters.add(m[1]!);
  }
  const out: string[] = [];
  for (const line of lines) {
    if (line === '# EOF' || line.startsWith('# UNIT ')) continue;
    const meta = /^# (HELP|TYPE) (\S+)(.*)$/.exec(line);
    if (meta) {
      const [, what, name, rest] = meta;
      out.push(counters.has(name!) && !name!.endsWith('_total') ? `# ${what} ${name}_total${rest}` : line);
      continue;
    }
    out.push(line.replace(/ # \{[^}]*\} \S+(?: \S+)?$/, ''));
  }
  return out.join('\n');
}
