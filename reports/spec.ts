/** The `Report` kind: the weekly performance report and who receives it. */
import { z } from 'zod';

export const reportSpecSchema = z.strictObject({
  /** Cron for sending; default Monday 09:00 in `timeZone`. */
  schedule: z.string().default('0 9 * * 1'),
  timeZone: z.string().default('UTC'),
  /** Notifier (an email notifier) that delivers the report. */
  notifier: z.string(),
  /** SLOs covered; default all. */
  slos: z.array(z.string()).optional(),
  title: z.string().default('burnwatch weekly performance report'),
});

export type ReportSpec = z.output<typeof reportSpecSchema>;

export interface Report extends ReportSpec {
  name: string;
}
