/**
 * Messages between the run controller (main thread) and its load workers.
 * Plain structured-cloneable data. A worker ships one `WorkerPartial` per
 * interval; the controller merges the partials of all workers into one
 * `IntervalSnapshot`.
 */
import type { Outcome } from '../common/index.ts';
import type { SparseHistogram } from './histogram.ts';
import type { ProxyEnv } from './proxy.ts';
import type { RequestSample } from './results.ts';
import type { Segment } from './schedule.ts';
import type { Probe } from './spec.ts';
import type { TlsMaterial } from './tls-auth.ts';

export interface WorkerInit {
  runId: string;
  probe: Probe;
  /** This worker's execution segment (the run's segment split by thread). */
  segment: Segment;
  /** This worker's place among the process's `threads` worker threads. */
  worker: number;
  threads: number;
  intervalMs: number;
  latencyThresholdsMs: number[];
  /** Statuses whose latency and waiting time are kept apart (thresholds such as `http_req_duration{status:200}`). */
  latencyStatuses: number[];
  /**
   * Keep k6's request timings (`http_req_blocked`, ...) per request (a
   * threshold filters one by request tags), or else for all requests
   * together: five histograms per request are ~2 MB on the main thread.
   */
  timingsByRequest: boolean;
  countHeaders: string[];
  traceSampleRatio: number;
  /** This worker's share of `maxSamplesPerInterval`. */
  maxSamples: number;
  /**
   * shared-iterations: the run's iteration counter (an Int32 in shared
   * memory) that its threads claim from, as k6's VUs share one counter, and
   * the run's segment whose iterations it hands out. Absent: this worker
   * has a counter of its own over its segment.
   */
  sharedIterations?: { counter: SharedArrayBuffer; segment: Segment };
  /**
   * Arrival-rate executors: the VUs the run's threads have allocated (an
   * Int32 in shared memory) and how many they may (the run's segment's
   * share of `maxVUs`). A thread that needs a VU takes one while the run has
   * any left, as k6's VUs come from one pool. Absent: this worker allocates
   * up to its own share. `segment`: the run's, which numbers the VUs by
   * their place in the budget (`{{vu}}` from 1 to `maxVUs`, as k6's __VU).
   */
  sharedVus?: { counter: SharedArrayBuffer; max: number; segment: Segment };
  /**
   * The probe's `tlsAuth` certificates and keys and its `tlsCACerts`, as PEM
   * text read once on the main thread (the probe holds file paths or PEM);
   * each worker builds its SecureContexts from them. Absent: neither is set.
   */
  tls?: TlsMaterial;
  /**
   * HTTP_PROXY / HTTPS_PROXY / NO_PROXY, read once on the main thread when
   * the run started; each worker compiles NO_PROXY and picks an origin's
   * proxy when its pool is built. Absent: no proxy.
   */
  proxy?: ProxyEnv;
  /** k6's httpDebug (RunOptions.httpDebug): requests and responses posted as `debug` messages. */
  httpDebug?: 'headers' | 'full';
}

export type ToWorker = { type: 'start'; startAt: number } | { type: 'stop'; hard: boolean };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'interval'; partial: WorkerPartial }
  | { type: 'done'; partial: WorkerPartial }
  | { type: 'fatal'; message: string }
  /** httpDebug: a request or response, written out by the controller (RunOptions.debugOut). */
  | { type: 'debug'; text: string };

/** Outcome counts in the order of `OUTCOMES`. */
export type OutcomeCounts = number[];

/**
 * k6's request timings besides `http_req_duration` and `http_req_waiting`,
 * µs: the first four once per request undici wrote, or whose redirect
 * chain had a written hop (a chain's hops added up), `receiving` once per
 * response.
 */
export interface TimingPartials {
  /** Dispatch → a connection taken for the request (k6's GetConn → GotConn: waiting for a free connection, and opening one). */
  blocked: SparseHistogram;
  /** TCP connect of the connection the request opened; 0 on a reused (or pre-opened) one. */
  connecting: SparseHistogram;
  /** TLS handshake of the connection the request opened; 0 on a reused one and on http. */
  tlsHandshaking: SparseHistogram;
  /** Connection taken → request written. */
  sending: SparseHistogram;
  /** Response headers → end of the body. */
  receiving: SparseHistogram;
}

export type TimingName = keyof TimingPartials;

export interface WorkerRequestPartial {
  outcomes: OutcomeCounts;
  statuses: Record<string, number>;
  /** Responses whose status `expect.status` accepts (k6's `expected_response:true`). */
  expected: number;
  latency: SparseHistogram;
  /** Request written → response headers (k6's time to first byte), µs. */
  waiting: SparseHistogram;
  expectedLatency: SparseHistogram;
  /** Latency and waiting time per response status, for the statuses in `WorkerInit.latencyStatuses` that occurred. */
  byStatus: Record<string, { latency: SparseHistogram; waiting: SparseHistogram }>;
  /** Parallel to `latencyThresholdsMs`. */
  within: number[];
  headers: Record<string, Record<string, number>>;
  received: number;
  sent: number;
  /** Redirects followed (each hop after the first request of a chain). */
  redirects: number;
  /** Chains that ended on a redirect because the request's redirect limit was reached. */
  redirectLimited: number;
  /** Hops sent again on a new connection after a kept-alive one failed before any response byte (see Engine.retryHop). */
  retries: number;
  /** Hops sent again with a Digest Authorization, answering a 401's challenge (auth: digest). */
  challenges: number;
  /** Responses (those in `waiting`) that came over HTTP/2; the rest came over HTTP/1.1. */
  h2: number;
}

export interface ErrorCount {
  outcome: Outcome;
  message: string;
  count: number;
  /** How much of `count` may be other kinds' (it took the place of a kind counted that often in a full list; see countError). */
  overcount?: number;
}

export interface WorkerPartial {
  worker: number;
  /** Interval number: [startAt + index·intervalMs, +intervalMs). */
  index: number;
  /** Epoch ms (fractional) of the end of what this partial covers (the interval boundary, or the worker's end). */
  end: number;
  requests: WorkerRequestPartial[];
  /** One per request when `WorkerInit.timingsByRequest`, else one for all requests. */
  timings: TimingPartials[];
  /** Iteration duration (send → end of body), µs. */
  iteration: SparseHistogram;
  /** Start lag (actual send − scheduled start), µs; empty for closed-model executors. */
  lag: SparseHistogram;
  iterations: number;
  /** Iterations started in the interval, and redirect hops sent in it (not when their chains end): the requests sent are their sum. */
  started: number;
  redirectsSent: number;
  /** Hops sent again to answer a Digest challenge in the interval: requests sent beside the iterations, as redirects are. */
  challengesSent: number;
  dropped: number;
  interrupted: number;
  /**
   * k6's `vus`: closed model, the most VUs active at once during the
   * interval; open model, the VUs allocated (k6 activates every one).
   * `vusMax`: VUs allocated (open model: what the pool grew to) / planned.
   * `busy`: the most VUs busy at once during the interval — requests in
   * flight (open model: rate × latency), and in the open model VUs in their
   * think time too (they cannot take an arrival).
   */
  vus: number;
  vusMax: number;
  busy: number;
  inFlight: number;
  samples: RequestSample[];
  errors: ErrorCount[];
}
