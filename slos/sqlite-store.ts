/**
 * The SQLite SLI store (better-sqlite3, WAL). One row per SLO per minute,
 * `WITHOUT ROWID` on (slo, minute) so a row costs ~20 bytes: 100 SLOs × 35
 * days of minutes fit in ~110 MB. Every `append` commits before returning
 * (synchronous FULL by default), so a restart loses nothing; the in-memory
 * index an SLO is evaluated from is rebuilt from the table the first time the
 * SLO is viewed.
 *
 * Latency histograms are merged in memory for the open minute and written
 * when the minute is over (and on `flush`/`close`): a crash loses at most the
 * open minute's histogram, never a good/total count.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { BurnwatchError } from '../common/index.ts';
import { PendingHistograms, mergeHistograms } from './latency.ts';
import { MINUTE_MS, SloIndex } from './sli-index.ts';
import type { MinuteBucket } from './sli-index.ts';
import { DEFAULT_RETENTION_MS, evaluationSpanMs, minuteStart, retentionMs } from './store.ts';
import type { BucketDelta, SliStore } from './store.ts';

const SCHEMA_VERSION = '1';

/** An epoch-ms bound as a minute index SQLite can bind (±Infinity clamp to safe integers). */
function minuteBound(ms: number): number {
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Math.ceil(ms / MINUTE_MS), Number.MAX_SAFE_INTEGER));
}
const DAY_MS = 86_400_000;

export interface SqliteStoreOptions {
  /** Clock for the index horizon; default `Date.now`. */
  now?: () => number;
  /** `FULL` (default) survives power loss; `NORMAL` survives a process crash only. */
  synchronous?: 'FULL' | 'NORMAL';
}

/**
 * Opens (creating when needed) the SQLite store at `file`.
 *
 * @example
 * const store = openSqliteStore('.data/sli.db');
 * store.append('assignment-latency', deltas);
 * evaluateSlo(slo, store, Date.now());
 * store.close();
 */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): SliStore {
  const now = options.now ?? Date.now;
  let db: Database.Database;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS slo (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      CREATE TABLE IF NOT EXISTS bucket (
        slo INTEGER NOT NULL, minute INTEGER NOT NULL, good REAL NOT NULL, total REAL NOT NULL,
        PRIMARY KEY (slo, minute)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS latency (
        slo INTEGER NOT NULL, minute INTEGER NOT NULL, hist TEXT NOT NULL,
        PRIMARY KEY (slo, minute)
      ) WITHOUT ROWID;
    `);
    const version = db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`).get();
    if (!version) db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?)`).run(SCHEMA_VERSION);
    else if (version.value !== SCHEMA_VERSION) {
      throw new Error(`schema version ${version.value}, expected ${SCHEMA_VERSION}`);
    }
  } catch (err) {
    throw new BurnwatchError('SLI_STORE_OPEN', `could not open the SLI store ${file}: ${(err as Error).message}`, { cause: err });
  }

  const insertSlo = db.prepare<[string]>('INSERT OR IGNORE INTO slo (name) VALUES (?)');
  const selectSlo = db.prepare<[string], { id: number }>('SELECT id FROM slo WHERE name = ?');
  const upsertBucket = db.prepare<[number, number, number, number]>(
    `INSERT INTO bucket (slo, minute, good, total) VALUES (?, ?, ?, ?)
     ON CONFLICT (slo, minute) DO UPDATE SET good = good + excluded.good, total = total + excluded.total`,
  );
  const selectBuckets = db.prepare<[number, number, number], { minute: number; good: number; total: number }>(
    'SELECT minute, good, total FROM bucket WHERE slo = ? AND minute >= ? AND minute < ? ORDER BY minute',
  );
  // Arrays rather than objects: rebuilding an index reads tens of thousands of rows per SLO.
  const selectBucketsRaw = db
    .prepare<[number, number, number], unknown[]>('SELECT minute, good, total FROM bucket WHERE slo = ? AND minute >= ? AND minute < ? ORDER BY minute')
    .raw(true);
  const selectLatency = db.prepare<[number, number, number], { hist: string }>(
    'SELECT hist FROM latency WHERE slo = ? AND minute >= ? AND minute < ? ORDER BY minute',
  );
  const selectLatencyAt = db.prepare<[number, number], { hist: string }>('SELECT hist FROM latency WHERE slo = ? AND minute = ?');
  const upsertLatency = db.prepare<[number, number, string]>(
    'INSERT INTO latency (slo, minute, hist) VALUES (?, ?, ?) ON CONFLICT (slo, minute) DO UPDATE SET hist = excluded.hist',
  );
  const deleteBuckets = db.prepare<[number, number]>('DELETE FROM bucket WHERE slo = ? AND minute < ?');
  const deleteLatency = db.prepare<[number, number]>('DELETE FROM latency WHERE slo = ? AND minute < ?');
  const allSlos = db.prepare<[], { id: number; name: string }>('SELECT id, name FROM slo');

  const ids = new Map<string, number>();
  const indexes = new Map<string, SloIndex>();
  /** Per SLO, the first minute its index was loaded from. */
  const loadedFrom = new Map<string, number>();
  const pending = new PendingHistograms();
  let closed = false;

  const idOf = (name: string): number => {
    let id = ids.get(name);
    if (id === undefined) {
      insertSlo.run(name);
      id = selectSlo.get(name)!.id;
      ids.set(name, id);
    }
    return id;
  };
  const writeHistogram = (slo: string, minute: number, encoded: string): void => {
    const id = idOf(slo);
    const m = minute / MINUTE_MS;
    const prev = selectLatencyAt.get(id, m);
    upsertLatency.run(id, m, prev ? mergeHistograms([prev.hist, encoded])! : encoded);
  };
  const check = (): void => {
    if (closed) throw new BurnwatchError('SLI_STORE_CLOSED', 'the SLI store is closed');
  };

  const writeBatch = db.transaction((batch: readonly { slo: string; deltas: readonly BucketDelta[] }[]) => {
    for (const { slo, deltas } of batch) {
      const id = idOf(slo);
      const index = indexes.get(slo);
      for (const d of deltas) {
        const minute = minuteStart(d.minute);
        if (d.good !== 0 || d.total !== 0) {
          upsertBucket.run(id, minute / MINUTE_MS, d.good, d.total);
          index?.addMinute(minute / MINUTE_MS, d.good, d.total);
        }
        if (d.latencyUs) {
          const done = pending.add(slo, minute, d.latencyUs);
          if (done) writeHistogram(done.slo, done.minute, done.encoded);
        }
      }
    }
  });
  const appendMany = (batch: readonly { slo: string; deltas: readonly BucketDelta[] }[]): void => {
    check();
    try {
      writeBatch(batch);
    } catch (err) {
      // The transaction rolled back but the in-memory indexes took the deltas as they went: drop them,
      // so the next view() rebuilds each from what SQLite holds and no figure outlives a restart.
      // An SLO first written in it got its id inside the transaction: that row is gone, and SQLite hands
      // the same id to the next new SLO, so a cached id would file this SLO's buckets under another's.
      for (const { slo } of batch) {
        indexes.delete(slo);
        loadedFrom.delete(slo);
        ids.delete(slo);
      }
      throw new BurnwatchError('SLI_STORE_WRITE', `could not write SLI buckets: ${(err as Error).message}`, { cause: err });
    }
  };
  const flushTransaction = db.transaction(() => {
    for (const c of pending.drain()) writeHistogram(c.slo, c.minute, c.encoded);
  });
  const flush = (): void => {
    try {
      flushTransaction();
    } catch (err) {
      ids.clear(); // ids taken inside the rolled-back transaction (see appendMany)
      throw err;
    }
  };

  return {
    append(slo, deltas) {
      appendMany([{ slo, deltas }]);
    },
    appendMany,
    view(slo) {
      check();
      let index = indexes.get(slo.name);
      const from = Math.floor((now() - evaluationSpanMs(slo) - DAY_MS) / MINUTE_MS);
      // (Re)build from SQLite on first use, and when the SLO now reads further back than what was loaded
      // (a reload lengthened its window).
      if (!index || from < loadedFrom.get(slo.name)!) {
        index = new SloIndex(slo.budgeting);
        const rows = selectBucketsRaw.all(idOf(slo.name), from, Number.MAX_SAFE_INTEGER) as [number, number, number][];
        for (const r of rows) index.addMinute(r[0], r[1], r[2]);
        indexes.set(slo.name, index);
        loadedFrom.set(slo.name, from);
      } else {
        index.configure(slo.budgeting);
      }
      return index;
    },
    read(slo, from, to): MinuteBucket[] {
      check();
      const id = ids.get(slo) ?? selectSlo.get(slo)?.id;
      if (id === undefined) return [];
      return selectBuckets
        .all(id, minuteBound(from), minuteBound(to))
        .map((r) => ({ minute: r.minute * MINUTE_MS, good: r.good, total: r.total }));
    },
    readLatency(slo, from, to) {
      check();
      const id = ids.get(slo) ?? selectSlo.get(slo)?.id;
      const parts =
        id === undefined
          ? []
          : selectLatency.all(id, minuteBound(from), minuteBound(to)).map((r) => r.hist);
      const open = pending.peek(slo, from, to);
      if (open) parts.push(open);
      return mergeHistograms(parts);
    },
    prune(slos, at) {
      check();
      const bySlo = new Map(slos.map((s) => [s.name, s]));
      db.transaction(() => {
        for (const { id, name } of allSlos.all()) {
          const slo = bySlo.get(name);
          const cutoff = Math.floor((at - (slo ? retentionMs(slo) : DEFAULT_RETENTION_MS)) / MINUTE_MS);
          deleteBuckets.run(id, cutoff);
          deleteLatency.run(id, cutoff);
        }
      })();
      for (const [name, index] of indexes) {
        const slo = bySlo.get(name);
        if (slo) index.dropBefore(at - evaluationSpanMs(slo) - DAY_MS);
        else indexes.delete(name);
      }
    },
    flush() {
      check();
      flush();
    },
    close() {
      if (closed) return;
      flush();
      closed = true;
      db.close();
    },
  };
}
