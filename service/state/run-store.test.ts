import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OUTCOMES } from '../../common/index.ts';
import type { RunSummary } from '../../probes/index.ts';
import { createMemoryRunStore, openSqliteRunStore } from './run-store.ts';
import type { RunStore } from './run-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'burnwatch-runs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const MIN = 60_000;

function summary(id: string, status: RunSummary['status'] = 'passed', extra: Partial<RunSummary> = {}): RunSummary {
  return {
    runId: id,
    probe: 'assignment',
    target: 'http://127.0.0.1:1',
    executor: 'shared-iterations',
    startedAt: new Date(T0).toISOString(),
    endedAt: new Date(T0 + 2_000).toISOString(),
    durationMs: 2_000,
    status,
    stopReason: 'completed',
    segment: { index: 1, count: 1 },
    threads: 1,
    outcomes: { ...Object.fromEntries(OUTCOMES.map((o) => [o, 0])), ok: 3, http_error: 1 } as RunSummary['outcomes'],
    metrics: {},
    thresholds: [],
    droppedIterations: 0,
    interruptedIterations: 0,
    errors: [],
    warnings: [],
    ...extra,
  };
}

function start(store: RunStore, id: string, at: number, probe = 'assignment', trigger = 'schedule'): void {
  store.start({ id, probe, trigger, startedAt: at, traceId: `trace-${id}` });
}

const implementations: [string, () => RunStore][] = [
  ['the SQLite run store', () => openSqliteRunStore(join(dir, `runs-${++files}.db`))],
  ['the in-memory run store', () => createMemoryRunStore()],
];

describe.each(implementations)('%s', (_name, open) => {
  it('records a started run as running, with its trigger, start time and trace id', () => {
    const store = open();
    start(store, 'r1', T0, 'assignment', 'api');
    expect(store.get('r1')).toEqual({
      id: 'r1',
      probe: 'assignment',
      trigger: 'api',
      status: 'running',
      startedAt: '2025-03-01T12:00:00.000Z',
      endedAt: null,
      stopReason: null,
      traceId: 'trace-r1',
      summary: null,
    });
    expect(store.get('missing')).toBeUndefined();
    store.close();
  });

  it('records the end of a run with its summary, and a status given to finish wins over the summary\'s', () => {
    const store = open();
    start(store, 'r1', T0);
    start(store, 'r2', T0 + 1);
    store.finish('r1', summary('r1', 'failed'));
    store.finish('r2', { ...summary('r2', 'passed'), stopReason: 'the service stopped' }, 'aborted');
    expect(store.get('r1')).toMatchObject({ status: 'failed', endedAt: '2025-03-01T12:00:02.000Z', stopReason: 'completed', summary: summary('r1', 'failed') });
    expect(store.get('r2')).toMatchObject({ status: 'aborted', stopReason: 'the service stopped' });
    store.close();
  });

  it('records a run that failed before producing a summary as an error with its reason', () => {
    const store = open();
    start(store, 'r1', T0);
    store.fail('r1', T0 + 5, 'probe "assignment" asks for more than maxRps');
    expect(store.get('r1')).toMatchObject({
      status: 'error',
      endedAt: '2025-03-01T12:00:00.005Z',
      stopReason: 'probe "assignment" asks for more than maxRps',
      summary: null,
    });
    store.close();
  });

  it('marks only running runs as interrupted and returns them', () => {
    const store = open();
    start(store, 'done', T0);
    store.finish('done', summary('done'));
    start(store, 'failed', T0 + 1);
    store.fail('failed', T0 + 2, 'boom');
    start(store, 'cut', T0 + 3);
    const marked = store.markInterrupted(T0 + MIN, 'burnwatch stopped during this run');
    expect(marked).toEqual([
      expect.objectContaining({ id: 'cut', status: 'interrupted', endedAt: new Date(T0 + MIN).toISOString(), stopReason: 'burnwatch stopped during this run' }),
    ]);
    expect(store.get('cut')).toMatchObject({ status: 'interrupted', stopReason: 'burnwatch stopped during this run' });
    expect(store.get('done')?.status).toBe('passed');
    expect(store.get('failed')?.status).toBe('error');
    expect(store.markInterrupted(T0 + 2 * MIN, 'again')).toEqual([]);
    store.close();
  });

  it('lists recent runs latest first, bounded by the limit, and filtered by probe', () => {
    const store = open();
    start(store, 'a1', T0, 'a');
    start(store, 'b1', T0 + MIN, 'b');
    start(store, 'a2', T0 + 2 * MIN, 'a');
    start(store, 'a0', T0 - MIN, 'a'); // recorded last, started first
    expect(store.recent(10).map((r) => r.id)).toEqual(['a2', 'b1', 'a1', 'a0']);
    expect(store.recent(2).map((r) => r.id)).toEqual(['a2', 'b1']);
    expect(store.recent(10, 'a').map((r) => r.id)).toEqual(['a2', 'a1', 'a0']);
    expect(store.recent(1, 'b').map((r) => r.id)).toEqual(['b1']);
    expect(store.recent(10, 'none')).toEqual([]);
    store.close();
  });

  it('lists runs started in the same millisecond latest recorded first', () => {
    const store = open();
    start(store, 'first', T0);
    start(store, 'second', T0);
    start(store, 'third', T0);
    expect(store.recent(10).map((r) => r.id)).toEqual(['third', 'second', 'first']);
    expect(store.recent(1)[0]?.id).toBe('third');
    store.close();
  });

  it('prunes finished runs started before the cutoff, never a running one, and says how many', () => {
    const store = open();
    start(store, 'old-done', T0 - 10 * MIN);
    store.finish('old-done', summary('old-done'));
    start(store, 'old-error', T0 - 9 * MIN);
    store.fail('old-error', T0 - 9 * MIN, 'boom');
    start(store, 'old-running', T0 - 8 * MIN);
    start(store, 'new-done', T0 + MIN);
    store.finish('new-done', summary('new-done'));
    expect(store.prune(T0)).toBe(2);
    expect(store.recent(10).map((r) => r.id)).toEqual(['new-done', 'old-running']);
    expect(store.prune(T0)).toBe(0);
    store.close();
  });

  it('hands out copies: changing a returned record does not change the store', () => {
    const store = open();
    start(store, 'r1', T0);
    const r = store.get('r1')!;
    r.status = 'passed';
    store.recent(1)[0]!.probe = 'changed';
    expect(store.get('r1')).toMatchObject({ status: 'running', probe: 'assignment' });
    store.close();
  });
});

describe('the SQLite run store on disk', () => {
  it('keeps every record and its summary when the file is closed and opened again', () => {
    const file = join(dir, 'reopen', 'runs.db');
    const first = openSqliteRunStore(file);
    start(first, 'done', T0);
    first.finish('done', summary('done', 'failed'));
    start(first, 'cut', T0 + MIN);
    first.close();

    const second = openSqliteRunStore(file);
    expect(second.get('done')).toMatchObject({ status: 'failed', summary: summary('done', 'failed') });
    expect(second.recent(10).map((r) => [r.id, r.status])).toEqual([
      ['cut', 'running'],
      ['done', 'failed'],
    ]);
    expect(second.markInterrupted(T0 + 2 * MIN, 'killed').map((r) => r.id)).toEqual(['cut']);
    second.close();
  });

  it('fails to open with a RUN_STORE_OPEN error naming the file', () => {
    const file = join(dir, 'not-a-db');
    // A directory where the database file should be.
    openSqliteRunStore(join(file, 'x.db')).close();
    expect(() => openSqliteRunStore(file)).toThrow(expect.objectContaining({ code: 'RUN_STORE_OPEN', message: expect.stringContaining(file) as unknown }));
  });
});
