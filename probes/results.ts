/**
 * What a probe run reports while it runs and when it ends. These types are
 * the contract between the load engine (`probes/`) and its consumers
 * (`slos/` turns intervals into SLI buckets, `service/` exposes metrics and
 * traces): plain, structured-cloneable data, so they cross worker threads.
 */
import type { Outcome } from '../common/index.ts';

/** Per request name, what happened in one interval. */
export interface RequestIntervalStats {
  /** The request's `name` in the probe. */
  request: string;
  /** Count per outcome class; every class present (0 when none). */
  outcomes: Record<Outcome, number>;
  /** Count per HTTP status code (as a string); requests without a response are not here. */
  statuses: Record<string, number>;
  /**
   * HDR histogram (hdr-histogram-js `encodeIntoCompressedBase64`) of latency in
   * microseconds. Open-model executors measure from the iteration's scheduled
   * start (wrk2); closed-model ones from the moment the request was sent.
   */
  latencyUs: string;
  /** HDR histogram (same encoding) of pure server time: request written → response headers (k6's http_req_waiting), µs. */
  waitingUs: string;
  /**
   * For each latency threshold the run was asked to count (`RunOptions.latencyThresholdsMs`),
   * how many requests with outcome `ok` finished within it (latency ≤ threshold): exact, not from the
   * histogram. Failed requests are never counted here, however fast they failed.
   */
  within: Record<string, number>;
  /** For each tracked header (`RunOptions.countHeaders`, lower-case name), count per response value ('' when absent). */
  headers: Record<string, Record<string, number>>;
  dataReceived: number;
  dataSent: number;
}

/** A request picked for tracing: its trace context was injected as `traceparent`. */
export interface RequestSample {
  traceId: string;
  spanId: string;
  request: string;
  method: string;
  url: string;
  /** HTTP status, 0 when there was no response. */
  status: number;
  outcome: Outcome;
  /** Epoch ms (fractional) when the request was sent. */
  startTime: number;
  /** ms from send to end of body. */
  durationMs: number;
  /** ms from scheduled start to end (equals durationMs for closed-model executors). */
  latencyMs: number;
  error?: string;
}

/** One interval (default 1 s) of a run, merged across worker threads. */
export interface IntervalSnapshot {
  runId: string;
  probe: string;
  /** Epoch ms, interval is [start, end). */
  start: number;
  end: number;
  requests: RequestIntervalStats[];
  iterations: number;
  droppedIterations: number;
  /**
   * k6's `vus`: closed-model executors, the most VUs active at once during
   * the interval; open-model executors, the VUs allocated (k6 activates
   * every one).
   */
  vus: number;
  /** The most VUs busy at once during the interval: requests in flight (open model: rate × latency), and open-model VUs in their think time. */
  vusBusy: number;
  /** VUs allocated: the pool an open-model run grew to (≤ maxVUs), or the planned VUs of a closed-model run. */
  vusMax: number;
  samples: RequestSample[];
  /** Open-model executors: this process's target arrival rate (requests/s) at the end of the interval. */
  targetRate?: number;
}
