/** The `Service` kind: global settings of `burnwatch serve`. At most one per config. */
import { z } from 'zod';
import { positiveDurationMs } from '../../common/index.ts';

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: 'expected host:port such as 127.0.0.1:8080' })
  .transform((s) => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
  })
  .refine((v) => v.port <= 65535, { message: 'expected a port between 0 and 65535' });

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export const serviceSpecSchema = z.strictObject({
  /** Where `serve` listens; 127.0.0.1 by default (read endpoints are open, POST needs the token). */
  listen: hostPort.default({ host: '127.0.0.1', port: 8080 }),
  /** SQLite state, the run history and the instance lock live here. */
  dataDir: z.string().min(1).default('.burnwatch'),
  /** Bearer token for POST endpoints; write `${BURNWATCH_TOKEN:-}`. Unset or empty: POST endpoints answer 401. */
  authToken: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(8, { message: 'expected a token of at least 8 characters' }).optional(),
  ),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /** Global cap on any probe's peak arrival rate (requests/s); a probe asking for more is rejected at validation. */
  maxRps: z.number().positive().default(50_000),
  /** How often every SLO is evaluated (SLIs, budgets, burn rates, alert states). */
  evaluationInterval: positiveDurationMs
    .refine((ms) => ms >= 1_000, { message: 'expected at least 1s: every evaluation reads each SLO’s windows, and its data comes in minute buckets' })
    .default(10_000),
  /** Runs the embedded demo target in-process (what `npm start` does). */
  demoTarget: z
    .strictObject({ enabled: z.boolean().default(true), listen: hostPort.default({ host: '127.0.0.1', port: 8081 }) })
    .optional(),
  telemetry: z
    .strictObject({
      /** Fraction (0–1, like OTEL_TRACES_SAMPLER_ARG) of probe requests traced: W3C traceparent injected, span exported, exemplar kept. */
      traceSampleRatio: z.number().min(0).max(1).default(0.01),
      /** Service name reported to OpenTelemetry (OTEL_SERVICE_NAME wins). */
      serviceName: z.string().default('burnwatch'),
    })
    .default({ traceSampleRatio: 0.01, serviceName: 'burnwatch' }),
  /** Base URL of this instance, used in links inside notifications and reports. */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
});

export type ServiceSettings = z.output<typeof serviceSpecSchema>;

/** Settings used when a config has no `Service` document. */
export function defaultServiceSettings(): ServiceSettings {
  return serviceSpecSchema.parse({});
}
