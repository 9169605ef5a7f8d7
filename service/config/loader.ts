/**
 * Config loading: files → YAML documents (with positions, `${ENV}` substituted)
 * → envelope and per-kind validation (strict zod schemas) → models →
 * cross-document checks. Every problem of every file is collected and
 * reported together, each as `file:line:col key.path: sentence`.
 */
import { z } from 'zod';
import { dirname } from 'node:path';
import { errorMessage, labels, resourceName, suggest } from '../../common/index.ts';
import { notifierSpecSchema } from '../../alerts/spec.ts';
import type { Notifier } from '../../alerts/spec.ts';
import { validateDetailed } from 'node-cron';
import { peakArrivalRate, probeSpecSchema, rawThresholdProblems, thresholdProblems } from '../../probes/index.ts';
import type { Probe, ProbeSpec } from '../../probes/index.ts';
import { withTlsPathsFrom } from '../../probes/tls-auth.ts';
import { reportSpecSchema } from '../../reports/spec.ts';
import type { Report } from '../../reports/spec.ts';
import { resolveOpenSlo, sloSpecSchema, toSlo } from '../../slos/index.ts';
import type { OpenSloDocument, Slo, SloSpec } from '../../slos/index.ts';
import type { ConfigIssue } from './issues.ts';
import { formatPath } from './issues.ts';
import { serviceSpecSchema } from './service-spec.ts';
import type { ServiceSettings } from './service-spec.ts';
import { parseConfigText, readConfigSources } from './source.ts';
import type { ReadResult, SourceDocument } from './source.ts';
import { explainIssues } from './zod-issues.ts';

export interface Config {
  service: ServiceSettings;
  probes: Map<string, Probe>;
  slos: Map<string, Slo>;
  notifiers: Map<string, Notifier>;
  reports: Map<string, Report>;
  /** The files read, relative to the working directory. */
  files: string[];
  /** Values substituted from the environment; redact them from anything shown. */
  secrets: string[];
}

export type LoadResult =
  | { ok: true; config: Config; warnings: ConfigIssue[] }
  | { ok: false; errors: ConfigIssue[]; warnings: ConfigIssue[] };

export const API_VERSIONS = ['burnwatch/v1', 'openslo/v1'] as const;
export const BURNWATCH_KINDS = ['Probe', 'SLO', 'Notifier', 'Report', 'Service'] as const;
type Kind = (typeof BURNWATCH_KINDS)[number];

const envelopeSchema = z.strictObject({
  apiVersion: z.enum(API_VERSIONS, { error: `expected apiVersion to be one of ${API_VERSIONS.join(', ')}` }),
  kind: z.string({ error: 'expected a kind' }),
  metadata: z.strictObject({
    name: resourceName,
    displayName: z.string().optional(),
    // OpenSLO allows a list of values per label; burnwatch documents use plain strings.
    labels: z.union([labels, z.record(z.string(), z.union([z.string(), z.array(z.string())]))]).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.unknown(),
});

interface KindHandler {
  schema: z.ZodType;
  /** Maps a validated spec to the model; may throw a BurnwatchError (reported at the spec). */
  toModel: (name: string, spec: unknown, file: string) => unknown;
}

const withName = (name: string, spec: unknown): unknown => ({ name, ...(spec as object) });

const KINDS: Record<Kind, KindHandler> = {
  Probe: { schema: probeSpecSchema, toModel: (name, spec, file) => withName(name, withTlsPathsFrom(spec as ProbeSpec, dirname(file))) },
  SLO: { schema: sloSpecSchema, toModel: (name, spec, file) => toSlo(name, spec as SloSpec, { baseDir: dirname(file) }) },
  Notifier: { schema: notifierSpecSchema, toModel: withName },
  Report: { schema: reportSpecSchema, toModel: withName },
  Service: { schema: serviceSpecSchema, toModel: (_name, spec) => spec },
};

/** A document whose envelope is valid; `model` is set when its spec is valid too. */
interface Entry {
  kind: Kind;
  name: string;
  doc: SourceDocument;
  raw: unknown;
  model: unknown;
}

/**
 * Loads a config file or folder.
 *
 * @example
 * const r = await loadConfig('demo/config');
 * if (!r.ok) for (const e of r.errors) console.error(formatConfigIssue(e));
 */
export async function loadConfig(path: string, options: { env?: NodeJS.ProcessEnv } = {}): Promise<LoadResult> {
  const read = await readConfigSources(path, options.env ?? process.env);
  return buildConfig(read);
}

/** Loads config from text (tests, stdin). `file` names it in messages. */
export function loadConfigText(text: string, file = '<config>', options: { env?: NodeJS.ProcessEnv } = {}): LoadResult {
  const read: ReadResult = { documents: [], issues: [], secrets: [], files: [file] };
  parseConfigText(text, file, options.env ?? process.env, read);
  return buildConfig(read);
}

function buildConfig(read: ReadResult): LoadResult {
  const issues: ConfigIssue[] = [...read.issues];
  const report = (doc: SourceDocument, path: PropertyKey[], message: string, severity: ConfigIssue['severity'] = 'error', key?: string): void => {
    const pos = key !== undefined ? doc.keyPosition(path.slice(0, -1), key) : doc.position(path);
    issues.push({ file: doc.file, ...pos, path: formatPath(path), message, severity });
  };

  const entries: Entry[] = [];
  const openslo: { doc: SourceDocument; entry: OpenSloDocument }[] = [];
  const firstByName = new Map<string, SourceDocument>();

  for (const doc of read.documents) {
    if (doc.data === null || typeof doc.data !== 'object' || Array.isArray(doc.data)) {
      report(doc, [], `expected a document with apiVersion, kind, metadata and spec; found ${doc.data === null ? 'null' : Array.isArray(doc.data) ? 'a list' : typeof doc.data}`);
      continue;
    }
    const envelope = envelopeSchema.safeParse(doc.data);
    if (!envelope.success) {
      for (const i of explainIssues(envelope.error.issues, doc.data, envelopeSchema)) report(doc, i.path, i.message, 'error', i.unknownKey);
      continue;
    }
    const { apiVersion, kind, metadata } = envelope.data;
    if (apiVersion === 'openslo/v1') {
      openslo.push({ doc, entry: { kind, name: metadata.name, spec: (doc.data as { spec?: unknown }).spec ?? {}, file: doc.file, index: doc.index } });
      continue;
    }
    if (!(BURNWATCH_KINDS as readonly string[]).includes(kind)) {
      const hint = suggest(kind, BURNWATCH_KINDS);
      report(doc, ['kind'], `unknown kind "${kind}"${hint ? ` (did you mean ${hint}?)` : ''}; expected one of ${BURNWATCH_KINDS.join(', ')}`);
      continue;
    }
    const k = kind as Kind;
    const nameKey = `${k}/${metadata.name}`;
    const first = firstByName.get(nameKey);
    if (first) {
      report(doc, ['metadata', 'name'], `duplicate ${k} name "${metadata.name}"; first defined in ${first.file}:${first.position(['metadata', 'name']).line}`);
      continue;
    }
    firstByName.set(nameKey, doc);
    const raw = (doc.data as { spec?: unknown }).spec ?? {};
    const { schema, toModel } = KINDS[k];
    const spec = schema.safeParse(raw);
    let model: unknown;
    if (!spec.success) {
      for (const i of explainIssues(spec.error.issues, raw, schema)) report(doc, ['spec', ...i.path], i.message, 'error', i.unknownKey);
      // The thresholds are checked after the schema passes; a broken probe still gets theirs in this pass.
      if (k === 'Probe') for (const p of rawThresholdProblems(raw)) report(doc, ['spec', ...p.path], p.message);
    } else {
      try {
        model = toModel(metadata.name, spec.data, doc.file);
      } catch (err) {
        report(doc, ['spec'], errorMessage(err));
      }
    }
    entries.push({ kind: k, name: metadata.name, doc, raw, model });
  }

  const resolved =
    openslo.length > 0
      ? resolveOpenSlo(
          openslo.map((o) => o.entry),
          {
            probes: entries.filter((e) => e.kind === 'Probe').map((e) => e.name),
            notifiers: entries.filter((e) => e.kind === 'Notifier').map((e) => e.name),
            requests: probeRequests(entries),
          },
        )
      : { slos: [], problems: [] };
  // A Report may name OpenSLO SLOs too: those resolved, and (so one broken document is not reported twice) the
  // names of OpenSLO SLO documents that resolved to nothing.
  const resolvedNames = new Set(resolved.slos.map((s) => s.name));
  const opensloSloNames = [
    ...resolvedNames,
    ...openslo.filter((o) => o.entry.kind === 'SLO' && !resolvedNames.has(o.entry.name) && !resolvedNames.has(`${o.entry.name}-0`)).map((o) => o.entry.name),
  ];
  checkReferences(entries, report, opensloSloNames);

  const ofKind = <T>(k: Kind): Map<string, T> =>
    new Map(entries.filter((e) => e.kind === k && e.model !== undefined).map((e) => [e.name, e.model as T]));
  const services = entries.filter((e) => e.kind === 'Service');
  for (const extra of services.slice(1)) report(extra.doc, ['kind'], 'a config holds at most one Service document');
  const service = (services[0]?.model as ServiceSettings | undefined) ?? serviceSpecSchema.parse({});
  for (const e of entries) if (e.kind === 'Probe' && e.model) checkProbe(e.model as Probe, service, (path, message) => report(e.doc, ['spec', ...path], message));
  const probes = ofKind<Probe>('Probe');
  const slos = ofKind<Slo>('SLO');
  if (openslo.length > 0) {
    for (const p of resolved.problems) {
      const at = openslo[p.doc];
      if (at) report(at.doc, ['spec', ...p.path], p.message);
    }
    for (const slo of resolved.slos) {
      if (slos.has(slo.name) || entries.some((e) => e.kind === 'SLO' && e.name === slo.name)) {
        const at = openslo.find((o) => o.entry.kind === 'SLO' && isOpenSloOf(o.entry.name, slo.name));
        if (at) report(at.doc, ['metadata', 'name'], `an SLO named "${slo.name}" is already defined by a burnwatch/v1 document`);
        continue;
      }
      slos.set(slo.name, slo);
    }
  }
  for (const slo of slos.values()) {
    const probe = probes.get(slo.probe);
    if (!probe) continue;
    const own = entries.find((e) => e.kind === 'SLO' && e.name === slo.name);
    const source = own ? undefined : openslo.find((o) => o.entry.kind === 'SLO' && isOpenSloOf(o.entry.name, slo.name));
    const at = own?.doc ?? source?.doc;
    if (at) checkExcludedStatuses(slo, probe, (i, message) => report(at, own ? ['spec', 'indicator', 'errorRate', 'excludeStatus', i] : ['spec', 'indicator'], message));
  }
  const notifiers = ofKind<Notifier>('Notifier');
  const reports = ofKind<Report>('Report');

  issues.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  const errors = issues.filter((i) => i.severity === 'error');
  const warnings = issues.filter((i) => i.severity === 'warning');
  if (errors.length > 0) return { ok: false, errors, warnings };
  return {
    ok: true,
    warnings,
    config: {
      service,
      probes,
      slos,
      notifiers,
      reports,
      files: read.files,
      secrets: [...new Set(read.secrets)],
    },
  };
}

/**
 * Checks of a valid probe that need more than its schema: the cron schedule
 * (node-cron is the service's scheduler), threshold expressions, and the
 * service's rate cap (a probe above it is rejected, never clipped).
 */
function checkProbe(probe: Probe, service: ServiceSettings, report: (path: PropertyKey[], message: string) => void): void {
  if (probe.schedule !== undefined) {
    const v = validateDetailed(probe.schedule);
    if (!v.valid) {
      const why = v.errors.map((e) => (e.field === 'expression' ? e.message : `${e.field} field ${e.value !== undefined ? `"${e.value}" ` : ''}${e.message}`));
      report(['schedule'], `"${probe.schedule}" is not a valid cron schedule (${why.join('; ')}); expected 5 fields (minute hour day month weekday) or 6 with seconds first, e.g. "*/15 * * * *"`);
    }
  }
  for (const p of thresholdProblems(probe)) report(p.path, p.message);
  const peak = peakArrivalRate(probe.scenario);
  if (peak !== undefined && peak > service.maxRps) {
    report(
      ['scenario'],
      `the scenario's peak arrival rate is ${formatRate(peak)} requests/s, above the service's maxRps of ${formatRate(service.maxRps)}; lower the rate or raise maxRps in the Service document`,
    );
  }
}

function formatRate(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(2);
}

/** Each probe's request names, read from the raw spec (a probe with errors of its own still counts). */
function probeRequests(entries: readonly Entry[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of entries) {
    if (e.kind !== 'Probe') continue;
    const requests = (e.raw as { requests?: unknown } | null)?.requests;
    const names = (Array.isArray(requests) ? requests : []).map((r) => (r !== null && typeof r === 'object' ? (r as { name?: unknown }).name : undefined));
    out.set(e.name, names.filter((n): n is string => typeof n === 'string'));
  }
  return out;
}

type Report_ = (doc: SourceDocument, path: PropertyKey[], message: string) => void;

/** Whether an OpenSLO SLO document named `doc` made the SLO `slo`: its name, or `doc-i` for its i-th objective (resolveOpenSlo). */
function isOpenSloOf(doc: string, slo: string): boolean {
  return slo === doc || (slo.startsWith(`${doc}-`) && /^\d+$/.test(slo.slice(doc.length + 1)));
}

/**
 * An errorRate SLO's `excludeStatus` takes unexpected statuses (http_errors) out of the bad events. A
 * status one of its requests expects is an `ok` response: the snapshots do not tell those apart from the
 * other ok ones, so excluding it would cancel other errors instead. Refused, naming the request.
 */
function checkExcludedStatuses(slo: Slo, probe: Probe, report: (index: number, message: string) => void): void {
  const i = slo.indicator;
  if (i.kind !== 'errorRate') return;
  const counted = probe.requests.filter((r) => i.request === null || r.name === i.request);
  i.excludeStatus.forEach((status, index) => {
    const expecting = counted.find((r) => (r.expect?.status ? r.expect.status.includes(status) : status >= 200 && status <= 399));
    if (expecting) {
      report(
        index,
        `${status} is a status request "${expecting.name}" of probe "${probe.name}" expects (its expect.status${expecting.expect?.status ? '' : ', by default 200–399'}): those responses are ok, not errors, so excludeStatus cannot take them out of the bad events; remove ${status} from excludeStatus or from the request's expected statuses`,
      );
    }
  });
}

/**
 * References between documents, checked on the raw specs so that a broken
 * document still gets its reference errors in the same run (and a probe with
 * errors of its own still counts as defined).
 */
function checkReferences(entries: Entry[], report: Report_, opensloSlos: readonly string[]): void {
  const names = (k: Kind): string[] => entries.filter((e) => e.kind === k).map((e) => e.name);
  const list = (all: string[]): string => (all.length ? all.map((n) => `"${n}"`).join(', ') : 'none defined');
  const missing = (kind: string, name: string, all: string[]): string => {
    const hint = suggest(name, all);
    const plural = kind === 'SLO' ? 'SLOs' : `${kind.toLowerCase()}s`;
    return `no ${kind} named "${name}"; ${hint ? `did you mean "${hint}"? Defined` : 'defined'} ${plural}: ${list(all)}`;
  };
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const field = (v: unknown, k: string): unknown => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined);
  const probes = new Map(entries.filter((e) => e.kind === 'Probe').map((e) => [e.name, e]));
  const notifiers = names('Notifier');
  const slos = [...names('SLO'), ...opensloSlos.filter((n) => !names('SLO').includes(n))];

  for (const e of entries) {
    if (e.kind === 'SLO') {
      const probeName = str(field(e.raw, 'probe'));
      const probe = probeName !== undefined ? probes.get(probeName) : undefined;
      if (probeName !== undefined && !probe) {
        report(e.doc, ['spec', 'probe'], missing('Probe', probeName, [...probes.keys()]));
      }
      const requestNames = arr(field(probe?.raw, 'requests')).map((r) => str(field(r, 'name'))).filter((n): n is string => n !== undefined);
      const indicator = field(e.raw, 'indicator');
      for (const kindName of ['latency', 'errorRate', 'cacheHit', 'uptime']) {
        const req = str(field(field(indicator, kindName), 'request'));
        if (probe && req !== undefined && !requestNames.includes(req)) {
          report(e.doc, ['spec', 'indicator', kindName, 'request'], `probe "${probe.name}" has no request "${req}"; its requests: ${list(requestNames)}`);
        }
      }
      arr(field(field(e.raw, 'alerting'), 'notify')).forEach((n, i) => {
        if (typeof n === 'string' && !notifiers.includes(n)) {
          report(e.doc, ['spec', 'alerting', 'notify', i], missing('Notifier', n, notifiers));
        }
      });
    }
    if (e.kind === 'Report') {
      const n = str(field(e.raw, 'notifier'));
      if (n !== undefined && !notifiers.includes(n)) report(e.doc, ['spec', 'notifier'], missing('Notifier', n, notifiers));
      arr(field(e.raw, 'slos')).forEach((s, i) => {
        if (typeof s === 'string' && !slos.includes(s)) report(e.doc, ['spec', 'slos', i], missing('SLO', s, slos));
      });
    }
  }
}
