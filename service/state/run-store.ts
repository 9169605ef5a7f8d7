/**
 * The run history: every probe run (scheduled or on demand) with its status,
 * summary and threshold results. SQLite in the data dir (WAL, synchronous
 * FULL: a run's record survives kill -9), with an in-memory twin for tests.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { BurnwatchError } from '../../common/index.ts';
import type { RunSummary } from '../../probes/index.ts';

export type RunRecordStatus = 'running' | 'passed' | 'failed' | 'aborted' | 'error' | 'interrupted';

export interface RunRecord {
  id: string;
  probe: string;
  /** 'schedule' or 'api' / 'cli'. */
  trigger: string;
  status: RunRecordStatus;
  startedAt: string;
  endedAt: string | null;
  stopReason: string | null;
  /** Trace id of the run span: the run's logs and sampled requests point to it. */
  traceId: string | null;
  summary: RunSummary | null;
}

export interface RunStore {
  start(run: { id: string; probe: string; trigger: string; startedAt: number; traceId: string | null }): void;
  /** Records the end of a run; `status` overrides the summary's (e.g. 'interrupted' for a run cut off by shutdown). */
  finish(id: string, summary: RunSummary, status?: RunRecordStatus): void;
  /** A run that failed before producing a summary. */
  fail(id: string, endedAt: number, reason: string): void;
  /**
   * Marks runs left 'running' by a previous process (killed, crashed) as
   * interrupted; returns them. Called once at start-up, under the instance lock.
   */
  markInterrupted(at: number, reason: string): RunRecord[];
  get(id: string): RunRecord | undefined;
  /** Latest first. */
  recent(limit: number, probe?: string): RunRecord[];
  /** Deletes finished runs that started before `before` (epoch ms); returns how many. */
  prune(before: number): number;
  close(): void;
}

/** How long the run history is kept: as long as the SLI data reports read (five weeks). */
export const RUN_RETENTION_MS = 35 * 86_400_000;

const STATUSES: readonly RunRecordStatus[] = ['running', 'passed', 'failed', 'aborted', 'error', 'interrupted'];

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

interface Row {
  id: string;
  probe: string;
  trigger: string;
  status: string;
  started_at: string;
  ended_at: string | null;
  stop_reason: string | null;
  trace_id: string | null;
  summary: string | null;
}

function fromRow(r: Row): RunRecord {
  return {
    id: r.id,
    probe: r.probe,
    trigger: r.trigger,
    status: (STATUSES as readonly string[]).includes(r.status) ? (r.status as RunRecordStatus) : 'error',
    startedAt: r.started_at,
    endedAt: r.ended_at,
    stopReason: r.stop_reason,
    traceId: r.trace_id,
    summary: r.summary ? (JSON.parse(r.summary) as RunSummary) : null,
  };
}

/** Opens (creating if needed) the run history in `file`. */
export function openSqliteRunStore(file: string): RunStore {
  let db: Database.Database;
  try {
    mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS run (
        id TEXT PRIMARY KEY,
        probe TEXT NOT NULL,
        trigger TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        stop_reason TEXT,
        trace_id TEXT,
        summary TEXT
      );
      CREATE INDEX IF NOT EXISTS run_started ON run (started_at);
      CREATE INDEX IF NOT EXISTS run_probe_started ON run (probe, started_at);
    `);
  } catch (err) {
    throw new BurnwatchError('RUN_STORE_OPEN', `could not open the run history ${file}: ${(err as Error).message}`, { cause: err });
  }
  const insert = db.prepare<[string, string, string, string, string | null]>(
    `INSERT INTO run (id, probe, trigger, status, started_at, trace_id) VALUES (?, ?, ?, 'running', ?, ?)`,
  );
  const finish = db.prepare<[string, string, string, string, string]>(
    'UPDATE run SET status = ?, ended_at = ?, stop_reason = ?, summary = ? WHERE id = ?',
  );
  const fail = db.prepare<[string, string, string]>(`UPDATE run SET status = 'error', ended_at = ?, stop_reason = ? WHERE id = ?`);
  const running = db.prepare<[], Row>(`SELECT * FROM run WHERE status = 'running'`);
  const interrupt = db.prepare<[string, string, string]>(`UPDATE run SET status = 'interrupted', ended_at = ?, stop_reason = ? WHERE id = ?`);
  const get = db.prepare<[string], Row>('SELECT * FROM run WHERE id = ?');
  const recent = db.prepare<[number], Row>('SELECT * FROM run ORDER BY started_at DESC, rowid DESC LIMIT ?');
  const recentOf = db.prepare<[string, number], Row>('SELECT * FROM run WHERE probe = ? ORDER BY started_at DESC, rowid DESC LIMIT ?');
  const prune = db.prepare<[string]>(`DELETE FROM run WHERE started_at < ? AND status != 'running'`);

  return {
    start: (r) => {
      insert.run(r.id, r.probe, r.trigger, iso(r.startedAt), r.traceId);
    },
    finish: (id, summary, status) => {
      finish.run(status ?? summary.status, summary.endedAt, summary.stopReason, JSON.stringify(summary), id);
    },
    fail: (id, endedAt, reason) => {
      fail.run(iso(endedAt), reason, id);
    },
    markInterrupted: (at, reason) => {
      const rows = db.transaction(() => {
        const found = running.all();
        for (const r of found) interrupt.run(iso(at), reason, r.id);
        return found;
      })();
      return rows.map((r) => ({ ...fromRow(r), status: 'interrupted' as const, endedAt: iso(at), stopReason: reason }));
    },
    get: (id) => {
      const r = get.get(id);
      return r ? fromRow(r) : undefined;
    },
    recent: (limit, probe) => (probe === undefined ? recent.all(limit) : recentOf.all(probe, limit)).map(fromRow),
    prune: (before) => prune.run(iso(before)).changes,
    close: () => db.close(),
  };
}

/** The in-memory twin, for unit tests. */
export function createMemoryRunStore(): RunStore {
  const runs = new Map<string, RunRecord>();
  const order: string[] = [];
  return {
    start: (r) => {
      runs.set(r.id, {
        id: r.id,
        probe: r.probe,
        trigger: r.trigger,
        status: 'running',
        startedAt: iso(r.startedAt),
        endedAt: null,
        stopReason: null,
        traceId: r.traceId,
        summary: null,
      });
      order.push(r.id);
    },
    finish: (id, summary, status) => {
      const r = runs.get(id);
      if (r) Object.assign(r, { status: status ?? summary.status, endedAt: summary.endedAt, stopReason: summary.stopReason, summary });
    },
    fail: (id, endedAt, reason) => {
      const r = runs.get(id);
      if (r) Object.assign(r, { status: 'error', endedAt: iso(endedAt), stopReason: reason });
    },
    markInterrupted: (at, reason) => {
      const out: RunRecord[] = [];
      for (const r of runs.values()) {
        if (r.status !== 'running') continue;
        Object.assign(r, { status: 'interrupted', endedAt: iso(at), stopReason: reason });
        out.push({ ...r });
      }
      return out;
    },
    get: (id) => {
      const r = runs.get(id);
      return r ? { ...r } : undefined;
    },
    recent: (limit, probe) =>
      // Latest recorded first among runs started in the same millisecond, as SQLite's `rowid DESC` (the sort is stable).
      [...order]
        .reverse()
        .map((id) => runs.get(id)!)
        .filter((r) => probe === undefined || r.probe === probe)
        .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0))
        .slice(0, limit)
        .map((r) => ({ ...r })),
    prune: (before) => {
      let n = 0;
      for (const [id, r] of runs) {
        if (r.status !== 'running' && r.startedAt < iso(before)) {
          runs.delete(id);
          order.splice(order.indexOf(id), 1);
          n++;
        }
      }
      return n;
    },
    close: () => {},
  };
}
