/**
 * Process exit codes. 99 and 104 follow k6 (thresholds failed, invalid
 * config) so CI pipelines written for k6 read burnwatch the same way.
 */
export const EXIT = {
  ok: 0,
  /** Unexpected failure (a bug, or the environment: port in use, disk full). */
  failure: 1,
  /** Bad command-line usage. */
  usage: 2,
  thresholdsFailed: 99,
  invalidConfig: 104,
  /** A run aborted before its end: by the safety auto-abort (the target kept failing), by followed redirects taking the requests sent above maxRps, or by Ctrl-C (k6's "external abort"). */
  aborted: 105,
} as const;
