// Historical incidents (CONTRACT §3), validated where they enter.
import { z } from 'zod';

export const RootCauseCategory = z.enum(['deploy', 'resource', 'dependency', 'config', 'other']);

export const HistoricalIncidentSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  openedAt: z.iso.datetime({ offset: true }),
  resolvedAt: z.iso.datetime({ offset: true }),
  rootCause: z.object({ service: z.string().min(1), category: RootCauseCategory }),
  alerts: z.array(z.object({ service: z.string(), alertname: z.string() })),
  remediation: z.object({ runbook: z.string(), target: z.string() }).optional(),
});
export type HistoricalIncident = z.infer<typeof HistoricalIncidentSchema>;
/** What fixed a past incident: the runbook and the target it acted on. */
export type IncidentFix = NonNullable<HistoricalIncident['remediation']>;

export const HistoryFileSchema = z.array(HistoricalIncidentSchema);
