// Normalised events: what every ingest source produces and what the engine folds. Times are epoch ms.
import type { Alert } from './alert.js';
import type { Change } from './change.js';
import type { SpanRecord } from './span.js';

export type NormalizedEvent =
  | { kind: 'alerts'; receivedAt: number; alerts: Alert[] }
  | { kind: 'changes'; receivedAt: number; changes: Change[] }
  | { kind: 'spans'; receivedAt: number; spans: SpanRecord[] };

/** The `type` values of the recorded event stream (CONTRACT §1). */
export const EVENT_TYPES = [
  'alertmanager',
  'grafana',
  'pagerduty',
  'datadog',
  'alert',
  'otlp',
  'deploy',
  'github.deployment_status',
  'argocd',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
