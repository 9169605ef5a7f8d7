/**
 * The JSON API of `burnwatch serve`. Read endpoints are open (the service
 * binds 127.0.0.1 by default); POST endpoints need the configured bearer
 * token. Every body leaves through `sendJson`, which redacts secrets.
 */
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import { redact, redactJson } from '../common/index.ts';
import { requestCount, thresholdCounts } from '../probes/index.ts';
import type { Request, Response, Router } from 'express';
import type { AlertState } from '../alerts/index.ts';
import type { SloEvaluation, Slo } from '../slos/index.ts';
import { HttpError, route } from './app.ts';
import type { Config } from './config/index.ts';
import type { TriggerResult } from './scheduler.ts';
import type { RunRecord } from './state/run-store.ts';

/** Largest request body any endpoint accepts. */
export const MAX_BODY_BYTES = 16 * 1024;

export interface ApiDeps {
  config: () => Config;
  evaluation: (slo: string) => SloEvaluation | undefined;
  alerts: () => AlertState[];
  runs: {
    get(id: string): RunRecord | undefined;
    recent(limit: number, probe?: string): RunRecord[];
  };
  probeState: (probe: string) => { running: boolean; runId: string | null; nextRunAt: string | null; skippedRuns: number };
  startRun: (probe: string) => TriggerResult;
}

export function sendJson(res: Response, status: number, body: unknown, secrets: readonly string[]): void {
  res.status(status).type('application/json').send(redactJson(body, secrets));
}

/** What the API says about an SLO: its definition and its latest evaluation (null before the first round). */
export function sloResource(slo: Slo, evaluation: SloEvaluation | undefined): Record<string, unknown> {
  return {
    name: slo.name,
    service: slo.service,
    description: slo.description,
    probe: slo.probe,
    indicator: slo.indicator,
    objectivePercent: slo.objectivePercent,
    window: slo.window,
    budgeting: slo.budgeting,
    alerting: { notify: slo.alerting.notify, windowSet: slo.alerting.windowSet },
    evaluation: evaluation ?? null,
  };
}

function runResource(r: RunRecord, full: boolean): Record<string, unknown> {
  const { summary, ...rest } = r;
  if (full) return { ...rest, summary };
  return {
    ...rest,
    requests: summary ? requestCount(summary) : null,
    thresholds: summary ? thresholdCounts(summary) : null,
  };
}

function bearerOk(req: Request, token: string | undefined): boolean {
  if (!token) return false;
  const header = req.get('authorization') ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header);
  if (!m) return false;
  const given = Buffer.from(m[1]!.trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export function createApiRouter(deps: ApiDeps): Router {
  const api = express.Router();
  const secrets = (): readonly string[] => deps.config().secrets;

  api.get('/slos', (_req, res) => {
    const slos = [...deps.config().slos.values()].map((s) => sloResource(s, deps.evaluation(s.name)));
    sendJson(res, 200, { slos }, secrets());
  });
  api.get('/slos/:name', (req, res) => {
    const slo = deps.config().slos.get(req.params.name);
    if (!slo) throw new HttpError(404, 'slo_not_found', `no SLO named "${req.params.name}"`);
    sendJson(res, 200, sloResource(slo, deps.evaluation(slo.name)), secrets());
  });
  api.get('/probes', (_req, res) => {
    const probes = [...deps.config().probes.values()].map((p) => {
      const last = deps.runs.recent(1, p.name)[0];
      return {
        name: p.name,
        description: p.description ?? null,
        target: p.target,
        schedule: p.schedule ?? null,
        executor: p.scenario.executor,
        requests: p.requests.map((r) => r.name),
        ...deps.probeState(p.name),
        lastRun: last ? runResource(last, false) : null,
      };
    });
    sendJson(res, 200, { probes }, secrets());
  });
  api.get('/runs', (req, res) => {
    // Whole numbers only: SQLite refuses `LIMIT 2.5` (datatype mismatch).
    const raw = req.query.limit;
    const asked = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : 50;
    const limit = Math.floor(Math.min(Math.max(Number.isFinite(asked) ? asked : 50, 1), 500));
    const probe = typeof req.query.probe === 'string' ? req.query.probe : undefined;
    sendJson(res, 200, { runs: deps.runs.recent(limit, probe).map((r) => runResource(r, false)) }, secrets());
  });
  api.get('/runs/:id', (req, res) => {
    const run = deps.runs.get(req.params.id);
    if (!run) throw new HttpError(404, 'run_not_found', `no run with id "${req.params.id}"`);
    sendJson(res, 200, runResource(run, true), secrets());
  });
  api.get('/alerts', (_req, res) => {
    sendJson(res, 200, { alerts: deps.alerts() }, secrets());
  });

  // POST: token first (nothing is read from an unauthenticated client), then a bounded body of any type.
  const requireToken = (req: Request, res: Response, next: (err?: unknown) => void): void => {
    const token = deps.config().service.authToken;
    if (bearerOk(req, token)) return next();
    res.set('WWW-Authenticate', 'Bearer realm="burnwatch"');
    next(
      new HttpError(
        401,
        'unauthorized',
        token ? 'a valid bearer token is required (Authorization: Bearer <token>)' : 'POST endpoints are disabled: no authToken is configured in the Service document',
      ),
    );
  };
  const body = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
  api.post(
    '/probes/:name/run',
    requireToken,
    body,
    route((req, res) => {
      const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8').trim() : '';
      if (raw !== '' && raw !== '{}') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          throw new HttpError(400, 'invalid_json', 'the body must be empty or {}');
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || Object.keys(parsed).length > 0) {
          throw new HttpError(400, 'invalid_body', 'the body must be empty or {}; this endpoint takes no options');
        }
      }
      const name = req.params.name as string;
      const r = deps.startRun(name);
      if (r.started) {
        res.location(`/api/runs/${r.runId}`);
        sendJson(res, 202, { runId: r.runId, probe: name, url: `/api/runs/${r.runId}` }, secrets());
        return;
      }
      if (r.reason === 'unknown') throw new HttpError(404, 'probe_not_found', `no probe named "${name}"`);
      if (r.reason === 'running') throw new HttpError(409, 'run_in_progress', `probe "${name}" is already running`);
      // Error bodies leave through the central handler, not sendJson: redact the engine's message here.
      // Refused: the probe as configured must not run (422, the same until the config changes); failed: the service's own trouble.
      if (r.reason === 'refused') throw new HttpError(422, 'run_refused', redact(`probe "${name}" could not start: ${r.message}`, secrets()));
      if (r.reason === 'failed') throw new HttpError(500, 'run_failed', redact(`probe "${name}" could not start: ${r.message}`, secrets()));
      throw new HttpError(503, 'stopping', 'the service is shutting down');
    }),
  );
  return api;
}
