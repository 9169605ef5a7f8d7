/**
 * burnwatch's own /metrics. One prom-client registry in OpenMetrics format
 * (exemplars need it); scrapers that ask for the classic text format (and
 * `promtool check metrics`, which parses only that) get the same families
 * converted: counters named with `_total`, exemplars and `# EOF` dropped.
 */
import client from 'prom-client';

export type MetricsRegistry = client.Registry<client.OpenMetricsContentType>;

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * A registry of its own (never prom-client's global default) rendering OpenMetrics.
 *
 * @example
 * const registry = createRegistry();
 * new client.Gauge({ name: 'up_since_seconds', help: 'x', registers: [registry] });
 */
export function createRegistry(): MetricsRegistry {
  const registry = new client.Registry<client.OpenMetricsContentType>();
  registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

/**
 * Whether an Accept header asks for OpenMetrics (Prometheus sends it first when it can parse it):
 * `application/openmetrics-text` named with a q above 0 and not below the text format's. Each
 * format's q is that of the most specific range naming it (RFC 9110 §12.5.1): `text/plain`, else
 * `text/*`, else the any-type wildcard; a tie, or a wildcard alone, keeps the text format.
 */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  // q of each range, the highest where one is listed twice (versions); -1: not listed.
  const q = { om: -1, plain: -1, text: -1, any: -1 };
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const value = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(value)) continue;
    const key = type === 'application/openmetrics-text' ? 'om' : type === 'text/plain' ? 'plain' : type === 'text/*' ? 'text' : type === '*/*' ? 'any' : undefined;
    if (key !== undefined) q[key] = Math.max(q[key], value);
  }
  const text = q.plain >= 0 ? q.plain : q.text >= 0 ? q.text : Math.max(q.any, 0);
  return q.om > 0 && q.om >= text;
}

/**
 * Renders the registry for a request's Accept header.
 *
 * @example
 * const { contentType, body } = await renderMetrics(registry, req.get('accept'));
 */
export async function renderMetrics(
  registry: MetricsRegistry,
  accept: string | undefined,
): Promise<{ contentType: string; body: string }> {
  const body = dropNaN(await registry.metrics());
  if (wantsOpenMetrics(accept)) return { contentType: registry.contentType, body };
  return { contentType: TEXT_CONTENT_TYPE, body: openMetricsToText(body) };
}

/**
 * Drops samples whose value is NaN (prom-client spells it `Nan`): "no value"
 * is an absent sample, never a NaN that poisons every query it touches.
 * burnwatch's own series never hold NaN; prom-client's event-loop lag
 * gauges do until the first lag measurement (`_mean`, `_stddev` at start).
 */
function dropNaN(body: string): string {
  if (!body.includes(' Nan')) return body;
  return body
    .split('\n')
    .filter((line) => line.startsWith('#') || !(line.endsWith(' Nan') || line.includes(' Nan # {')))
    .join('\n');
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
