/**
 * The `Notifier` kind: where alerts go. Exactly one channel per notifier.
 * Secrets (routing keys, webhook URLs, SMTP passwords) come from `${ENV}`
 * substitution and never appear in logs or API output.
 */
import { z } from 'zod';
import { durationMs, labels } from '../common/index.ts';

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an absolute http(s) URL' });

const channels = {
  alertmanager: z.strictObject({ url: httpUrl, labels: labels.default({}) }),
  pagerduty: z.strictObject({
    routingKey: z.string().min(1),
    url: httpUrl.default('https://events.pagerduty.com/v2/enqueue'),
  }),
  slack: z.strictObject({ webhookUrl: httpUrl, channel: z.string().optional() }),
  webhook: z.strictObject({ url: httpUrl, headers: z.record(z.string(), z.string()).default({}) }),
  email: z.strictObject({
    smtp: z.strictObject({
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535).default(587),
      secure: z.boolean().default(false),
      user: z.string().optional(),
      pass: z.string().optional(),
    }),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
  }),
};

export const NOTIFIER_CHANNELS = Object.keys(channels) as (keyof typeof channels)[];

export const notifierSpecSchema = z
  .strictObject({
    ...Object.fromEntries(Object.entries(channels).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof channels]: z.ZodOptional<(typeof channels)[K]>;
    },
    /** Only alerts at or above this severity go to this notifier. */
    minSeverity: z.enum(['ticket', 'page']).default('ticket'),
    /** Re-send a still-firing alert this often (0 = never). */
    repeatInterval: durationMs.default(4 * 3_600_000),
  })
  .superRefine((v, ctx) => {
    const set = NOTIFIER_CHANNELS.filter((k) => v[k] !== undefined);
    if (set.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          set.length === 0
            ? `expected exactly one channel: ${NOTIFIER_CHANNELS.join(', ')}`
            : `expected exactly one channel, found ${set.join(' and ')}`,
      });
    }
  });

export type NotifierSpec = z.output<typeof notifierSpecSchema>;

export interface Notifier extends NotifierSpec {
  name: string;
}
